import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import {
  codecServerOptionsFromEnv,
  startCodecServer,
  type CodecServerOptions,
} from '../../src/codec/codec-server';
import { ConfigError } from '../../src/config/temporal-connection';

const codec = new AesGcmCodec(new Map([['k1', Buffer.alloc(32, 9)]]), 'k1');
const UI = 'http://localhost:8233';
const TOKEN = 'codec-token-0123456789abcdef';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over real HTTP with any headers (fetch would not let a test set Host). */
function request(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/decode',
        headers: { host: `localhost:${port}`, 'content-type': 'application/json', ...opts.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

let plainServer: http.Server;
let tokenServer: http.Server;
let port: number;
let tokenPort: number;
let encrypted: { payloads: unknown[] };
const secretText = 'the-plaintext-of-a-payload';

async function serve(options: Omit<CodecServerOptions, 'port'>): Promise<[http.Server, number]> {
  const server = await startCodecServer(codec, { port: 0, ...options });
  return [server, (server.address() as AddressInfo).port];
}

beforeAll(async () => {
  [plainServer, port] = await serve({ allowedHosts: ['codec.internal'], maxBodyBytes: 64 * 1024 });
  [tokenServer, tokenPort] = await serve({ token: TOKEN });
  const [payload] = await codec.encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(secretText)) },
  ]);
  encrypted = {
    payloads: [
      {
        metadata: Object.fromEntries(
          Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(payload.data!).toString('base64'),
      },
    ],
  };
});
afterAll(async () => {
  plainServer.closeAllConnections();
  tokenServer.closeAllConnections();
  await new Promise((r) => plainServer.close(r));
  await new Promise((r) => tokenServer.close(r));
});

const decodedText = (a: Answer) =>
  Buffer.from((JSON.parse(a.body) as { payloads: { data: string }[] }).payloads[0].data, 'base64').toString();

describe('codec server', () => {
  it('decodes for the Web UI on an allowed origin, allowing exactly that origin', async () => {
    const a = await request(port, { headers: { origin: UI }, body: JSON.stringify(encrypted) });
    expect(a.status).toBe(200);
    expect(decodedText(a)).toBe(JSON.stringify(secretText));
    expect(a.headers['access-control-allow-origin']).toBe(UI);
    const other = await request(port, {
      headers: { origin: 'http://127.0.0.1:8233' },
      body: JSON.stringify(encrypted),
    });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
  });

  it('answers a CLI (no Origin) and a configured host name; encode then decode round-trips', async () => {
    const plain = {
      payloads: [
        {
          metadata: { encoding: Buffer.from('json/plain').toString('base64') },
          data: Buffer.from('"x"').toString('base64'),
        },
      ],
    };
    const enc = await request(port, {
      path: '/encode',
      body: JSON.stringify(plain),
      headers: { host: 'codec.internal:8888' },
    });
    expect(enc.status).toBe(200);
    expect(enc.headers['access-control-allow-origin']).toBeUndefined();
    const dec = await request(port, { body: enc.body, headers: { host: '127.0.0.1' } });
    expect(decodedText(dec)).toBe('"x"');
  });

  it('answers the preflight of an allowed origin, naming authorization among the allowed headers', async () => {
    const a = await request(port, { method: 'OPTIONS', headers: { origin: UI } });
    expect(a.status).toBe(204);
    expect(a.headers['access-control-allow-headers']).toContain('authorization');
  });

  it.each([
    ['evil.example', 'a DNS-rebinding page'],
    ['evil.example:' + 0, 'with a port'],
    ['localhost.evil.example', 'a look-alike'],
    ['127.0.0.1.nip.io', 'a name resolving to loopback'],
  ])('refuses Host %s (%s) with 421, decrypting nothing', async (host) => {
    const a = await request(port, { headers: { host, origin: UI }, body: JSON.stringify(encrypted) });
    expect(a.status).toBe(421);
    expect(a.body).not.toContain(Buffer.from(JSON.stringify(secretText)).toString('base64'));
    expect(a.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each(['http://evil.example', 'http://localhost:9999', 'null', 'https://localhost:8233'])(
    'refuses Origin %s with 403, also its preflight',
    async (origin) => {
      const a = await request(port, { headers: { origin }, body: JSON.stringify(encrypted) });
      expect(a.status).toBe(403);
      expect(a.body).toContain('CODEC_ALLOW_ORIGIN');
      expect((await request(port, { method: 'OPTIONS', headers: { origin } })).status).toBe(403);
    },
  );

  it('with a token: refuses none or a wrong one with 401, decodes with the right one', async () => {
    const body = JSON.stringify(encrypted);
    const none = await request(tokenPort, { body, headers: { origin: UI } });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await request(tokenPort, { body, headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(
      401,
    );
    expect((await request(tokenPort, { body, headers: { authorization: TOKEN } })).status).toBe(401);
    const ok = await request(tokenPort, { body, headers: { origin: UI, authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(decodedText(ok)).toBe(JSON.stringify(secretText));
    // A browser's preflight carries no token and must still pass.
    expect((await request(tokenPort, { method: 'OPTIONS', headers: { origin: UI } })).status).toBe(204);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''])(
    'refuses content-type "%s" with 415',
    async (type) => {
      const a = await request(port, { headers: { 'content-type': type }, body: JSON.stringify(encrypted) });
      expect(a.status).toBe(415);
    },
  );

  it('accepts application/json with a charset', async () => {
    const a = await request(port, {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(encrypted),
    });
    expect(a.status).toBe(200);
  });

  it('refuses a body declared larger than the limit with 413 at once, reading none of it', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/decode',
          headers: {
            host: 'localhost',
            'content-type': 'application/json',
            'content-length': 60 * 1024 * 1024,
          },
        },
        (res) => (res.resume(), resolve(res.statusCode!)),
      );
      req.on('error', reject);
      req.write('{"payloads":['); // and never the other 60 MB
    });
    expect(answer).toBe(413);
  });

  it('stops reading a chunked body at the limit and answers 413', async () => {
    const status = await new Promise<number | string>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/decode',
          headers: { host: 'localhost', 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        },
        (res) => (res.resume(), resolve(res.statusCode!)),
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        // Up to 60 MB, unless the server has answered and closed first.
        while (sent < 60 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('refuses a body that is not {payloads: [...]} with 400', async () => {
    expect((await request(port, { body: '{"payloads": "all"}' })).status).toBe(400);
    expect((await request(port, { body: 'not json' })).status).toBe(400);
  });
});

describe('codec server configuration', () => {
  it('defaults: port 8888, the dev UI on both loopback names, 4 MiB, no token', () => {
    expect(codecServerOptionsFromEnv({})).toEqual({
      port: 8888,
      allowedOrigins: ['http://localhost:8233', 'http://127.0.0.1:8233'],
      allowedHosts: [],
      token: undefined,
      maxBodyBytes: 4 * 1024 * 1024,
    });
  });

  it('without CODEC_ALLOW_ORIGIN, allows the Web UI where the main job starts it (TEMPORAL_UI_PORT), under both loopback names', () => {
    expect(codecServerOptionsFromEnv({ TEMPORAL_UI_PORT: '9233' }).allowedOrigins).toEqual([
      'http://localhost:9233',
      'http://127.0.0.1:9233',
    ]);
    expect(codecServerOptionsFromEnv({ CODEC_ALLOW_ORIGIN: 'http://127.0.0.1:3000' }).allowedOrigins).toEqual(
      ['http://127.0.0.1:3000', 'http://localhost:3000'],
    );
  });

  it('reads lists and refuses a wildcard origin, a short token and a bad port, naming each variable', () => {
    expect(
      codecServerOptionsFromEnv({
        CODEC_ALLOW_ORIGIN: 'http://localhost:8080, https://ui.example',
        CODEC_ALLOWED_HOSTS: 'codec.internal',
      }),
    ).toMatchObject({
      // A loopback origin is allowed under both names; the UI on 127.0.0.1 is the same UI.
      allowedOrigins: ['http://localhost:8080', 'http://127.0.0.1:8080', 'https://ui.example'],
      allowedHosts: ['codec.internal'],
    });
    let err: unknown;
    try {
      codecServerOptionsFromEnv({
        CODEC_ALLOW_ORIGIN: '*',
        CODEC_SERVER_TOKEN: 'short',
        CODEC_SERVER_PORT: '99999',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.variable).sort()).toEqual([
      'CODEC_ALLOW_ORIGIN',
      'CODEC_SERVER_PORT',
      'CODEC_SERVER_TOKEN',
    ]);
  });
});
