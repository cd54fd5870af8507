import type { IncomingMessage } from 'node:http';

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingMessage['headers'];
  /** `http://host:port` as the client reached us, for URLs the sandbox hands out. */
  origin: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of `body` as JSON (a gateway's HTML page). */
  raw?: { contentType: string; text: string };
  /** Held this long before it is sent (a slow model's inference). */
  delayMs?: number;
}

export type Handler = (ctx: RequestContext) => Reply;

/** Thrown by handlers: becomes an answer with this status and (provider-shaped) body. */
export class HttpReply extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

interface Route {
  method: string;
  /** As added, e.g. `/v2/endpoints/:endpointId`. */
  template: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
  /** POSTs that create a resource: candidates for the "response lost after create" fault. */
  creates: boolean;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, template: string, handler: Handler, options: { creates?: boolean } = {}): this {
    const keys: string[] = [];
    const source = template.replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({
      method,
      template,
      pattern: new RegExp(`^${source}/?$`),
      keys,
      handler,
      creates: options.creates ?? false,
    });
    return this;
  }

  match(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | { methodMismatch: boolean } {
    let methodMismatch = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
      return { route, params };
    }
    return { methodMismatch };
  }
}

/** TensorOne-style `limit` (1-100, default 50) / `offset` paging of a list, with its `pagination` object. */
export function paginate<T>(list: T[], query: URLSearchParams) {
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
  const offset = Math.max(0, Number(query.get('offset') ?? 0));
  const page = list.slice(offset, offset + limit);
  return {
    page,
    pagination: { total: list.length, limit, offset, hasMore: offset + page.length < list.length },
  };
}
