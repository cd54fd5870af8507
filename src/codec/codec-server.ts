/**
 * `npm run codec-server`: the codec endpoint the Temporal Web UI calls to show decrypted payloads to
 * whoever runs it (set "Codec Server" in the UI to http://localhost:8888). Keys stay on this machine.
 */
import http from 'node:http';
import type { Payload } from '@temporalio/common';
import { codecFromEnv, type AesGcmCodec } from './aes-gcm-codec';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
});

export function startCodecServer(
  codec: AesGcmCodec,
  port: number,
  allowOrigin = 'http://localhost:8233',
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.setHeader('access-control-allow-origin', allowOrigin);
    res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    res.setHeader('access-control-allow-headers', 'content-type, x-namespace');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const op = req.url === '/encode' ? 'encode' : req.url === '/decode' ? 'decode' : undefined;
    if (req.method !== 'POST' || !op) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const { payloads } = JSON.parse(Buffer.concat(chunks).toString()) as { payloads: JsonPayload[] };
          const result = await codec[op](payloads.map(fromJson));
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ payloads: result.map(toJson) }));
        } catch (err) {
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ message: (err as Error).message }));
        }
      })();
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (require.main === module) {
  const codec = codecFromEnv();
  if (!codec) {
    process.stderr.write(
      'codec-server: set FTP_PAYLOAD_KEYS (and FTP_PAYLOAD_KEY_ID) to the keys the worker uses\n',
    );
    process.exit(1);
  }
  const port = Number(process.env.CODEC_SERVER_PORT ?? 8888);
  void startCodecServer(codec, port, process.env.CODEC_ALLOW_ORIGIN).then(() =>
    process.stderr.write(`codec server on http://127.0.0.1:${port}\n`),
  );
}
