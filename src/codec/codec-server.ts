/**
 * `npm run codec-server`: the codec endpoint the Temporal Web UI calls to show decrypted payloads to
 * whoever runs it (set "Codec Server" in the UI to http://localhost:8888). Keys stay on this machine.
 *
 * A decrypting endpoint on localhost is an oracle for any web page the operator opens, so it answers
 * only requests addressed to it by a known host name (a DNS-rebinding page sends its own name in
 * `Host`), only browsers on an allowed origin (`Origin`), only with the bearer token when one is set,
 * only JSON, and only bodies up to a limit.
 */
import http from 'node:http';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { codecFromEnv, type AesGcmCodec } from './aes-gcm-codec';
import { ConfigError, parseEnv } from '../config/temporal-connection';
import { hostName, knownHosts, sameSecret } from './request-guard';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export interface CodecServerOptions {
  port: number;
  /** Host names besides the loopback ones (`localhost`, `127.0.0.1`, `[::1]`) the server answers to. */
  allowedHosts?: string[];
  /** Browser origins allowed to call it; requests without `Origin` (CLI, curl) are not browsers. */
  allowedOrigins?: string[];
  /** When set, every encode/decode needs `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes?: number;
}

/** The dev server's UI (`temporal server start-dev`, port 8233) under both loopback names. */
const DEFAULT_ALLOWED_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

/**
 * The origins a browser shows the Web UI under: its URL, and for a loopback UI the same port under the
 * other loopback name too (the dev server prints `localhost`; people paste `127.0.0.1`).
 */
export function uiOrigins(uiUrls: string[]): string[] {
  const out = new Set<string>();
  for (const raw of uiUrls) {
    const u = new URL(raw);
    out.add(u.origin);
    if (u.hostname === 'localhost' || u.hostname === '127.0.0.1') {
      const twin = new URL(u.origin);
      twin.hostname = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
      out.add(twin.origin);
    }
  }
  return [...out];
}
/** Payloads of a history page: far more than the UI sends at once, far less than memory. */
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The codec server's environment: CODEC_SERVER_PORT, CODEC_ALLOW_ORIGIN, CODEC_ALLOWED_HOSTS, … */
const codecServerEnvSchema = z.object({
  CODEC_SERVER_PORT: z.coerce.number().int().min(1).max(65_535).default(8888),
  /** Where the Web UI listens when CODEC_ALLOW_ORIGIN is unset (the main job's TEMPORAL_UI_PORT). */
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65_535).default(8233),
  CODEC_ALLOW_ORIGIN: z
    .string()
    .transform(list)
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^https?:\/\/[^/\s]+$/,
            'must be origins such as http://localhost:8233 (scheme, host, port)',
          ),
      ),
    )
    .optional(),
  CODEC_ALLOWED_HOSTS: z
    .string()
    .transform(list)
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be host names such as codec.internal')))
    .default([]),
  CODEC_SERVER_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)')
    .optional(),
  CODEC_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_BODY_BYTES),
});

export function codecServerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CodecServerOptions {
  const e = parseEnv(codecServerEnvSchema, env);
  return {
    port: e.CODEC_SERVER_PORT,
    // Each origin under both loopback names; without a list, the UI on TEMPORAL_UI_PORT.
    allowedOrigins: uiOrigins(e.CODEC_ALLOW_ORIGIN ?? [`http://localhost:${e.TEMPORAL_UI_PORT}`]),
    allowedHosts: e.CODEC_ALLOWED_HOSTS,
    token: e.CODEC_SERVER_TOKEN,
    maxBodyBytes: e.CODEC_MAX_BODY_BYTES,
  };
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

const payloadsBody = z.object({
  payloads: z.array(
    z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }),
  ),
});

export function startCodecServer(codec: AesGcmCodec, options: CodecServerOptions): Promise<http.Server> {
  const hosts = knownHosts(options.allowedHosts);
  const origins = new Set(options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const server = http.createServer((req, res) => {
    const refuse = (status: number, message: string, headers: http.OutgoingHttpHeaders = {}) => {
      // The body is not read: close the connection rather than drain what the client still sends.
      res
        .writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers })
        .end(JSON.stringify({ message }));
    };
    const host = hostName(req.headers.host);
    if (!host || !hosts.has(host))
      return refuse(421, 'unknown Host: this codec server answers only to its own host names');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has(origin)) return refuse(403, 'origin not allowed (CODEC_ALLOW_ORIGIN)');
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const op = req.url === '/encode' ? 'encode' : req.url === '/decode' ? 'decode' : undefined;
    if (req.method !== 'POST' || !op) return refuse(404, 'POST /encode or /decode');
    if (options.token && !sameSecret(req.headers.authorization ?? '', `Bearer ${options.token}`))
      return refuse(401, 'a bearer token is required (CODEC_SERVER_TOKEN)', {
        'www-authenticate': 'Bearer',
      });
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return refuse(415, 'content-type must be application/json');
    const tooLarge = () => refuse(413, `body larger than ${maxBodyBytes} bytes`);
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) {
        // A chunked body gives no length up front: stop at the limit.
        req.removeAllListeners('data').removeAllListeners('end').pause();
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        let body: z.infer<typeof payloadsBody>;
        try {
          body = payloadsBody.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          return refuse(400, 'body must be {"payloads": [{"metadata": {…}, "data": "<base64>"}]}');
        }
        try {
          const result = await codec[op](body.payloads.map(fromJson));
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ payloads: result.map(toJson) }));
        } catch (err) {
          refuse(400, (err as Error).message);
        }
      })();
    });
  });
  return new Promise((resolve) => server.listen(options.port, '127.0.0.1', () => resolve(server)));
}

if (require.main === module) {
  const codec = codecFromEnv();
  if (!codec) {
    process.stderr.write(
      'codec-server: set FTP_PAYLOAD_KEYS (and FTP_PAYLOAD_KEY_ID) to the keys the worker uses\n',
    );
    process.exit(1);
  }
  let options: CodecServerOptions;
  try {
    options = codecServerOptionsFromEnv();
  } catch (err) {
    process.stderr.write(`codec-server: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  void startCodecServer(codec, options).then(() =>
    process.stderr.write(
      `codec server on http://127.0.0.1:${options.port} for ${options.allowedOrigins!.join(', ')}${options.token ? ' (bearer token required)' : ''}\n`,
    ),
  );
}
