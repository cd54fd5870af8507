import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface FixtureReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A provider body exactly as the documents print it. */
export function docExample(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/api-docs', `${name}.json`), 'utf8'));
}

/**
 * A real HTTP server answering fixed bodies per `METHOD /path` — used to feed the clients the documents'
 * own examples and malformed responses, which the sandbox (being well-formed) never sends.
 */
export async function startFixtureServer(routes: Record<string, FixtureReply>) {
  const seen: { method: string; path: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    seen.push({ method: req.method ?? 'GET', path: p, headers: req.headers });
    const reply = routes[`${req.method} ${p}`];
    if (!reply) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'NOT_FOUND', message: `no fixture for ${req.method} ${p}` }));
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
