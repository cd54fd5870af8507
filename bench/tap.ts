import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TappedRequest {
  method: string;
  path: string;
  /** The query string, `?…` or empty. */
  search: string;
  /** Who sent it (`x-request-origin`: `workflowId/activityId` for the worker's activities). */
  origin?: string;
}

export interface Tap {
  url: string;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of the sandbox, one per worker process: the sandbox sees only
 * requests, the tap knows which process sent them (each process keeps its own sweep of the job list,
 * so its looks are only as fresh as its own sweeps). `onRequest` is called as each answer goes out.
 */
export async function startTap(target: string, onRequest: (r: TappedRequest) => void): Promise<Tap> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://tap');
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () =>
          onRequest({
            method: req.method ?? 'GET',
            path: url.pathname,
            search: url.search,
            origin:
              typeof req.headers['x-request-origin'] === 'string'
                ? req.headers['x-request-origin']
                : undefined,
          }),
        );
      },
    );
    forward.once('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.once('aborted', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
