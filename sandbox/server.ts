import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_DEFAULTS } from '../src/providers/config';
import { adminRoutes } from './admin-routes';
import { faultConfigSchema, type FaultConfigInput } from './faults';
import { marqtuneInvalidMethod, marqtuneRoutes } from './marqtune-routes';
import { HttpReply, type Reply, type RequestContext, type Router } from './router';
import { DEFAULT_SANDBOX_OPTIONS, SandboxState, type SandboxOptions } from './state';
import { t1Error, tensoroneRoutes } from './tensorone-routes';
import { tensormeshRoutes } from './tensormesh-routes';
import {
  documentedBody,
  documentedQuery,
  isExtendedRoute,
  profileSchema,
  unknownRouteReply,
  unknownRouteSchema,
  type SandboxProfile,
  type UnknownRouteAnswer,
} from './profile';

export interface SandboxConfig extends Partial<SandboxOptions> {
  port?: number;
  host?: string;
  faults?: FaultConfigInput;
  keys?: { tensorone?: string; tensormesh?: string; marqtune?: string };
  /** One line per request (method, path, status) — never headers or bodies. */
  log?: (line: string) => void;
  /** Clock to follow instead of the wall clock (tests pass the time-skipping server's). */
  timeSource?: () => Promise<number> | number;
  /**
   * `extended` (default): the documents plus what this project assumes (listed in sandbox/profile.ts).
   * `documented`: only what the documents promise; everything else answers as an unknown route would.
   */
  profile?: SandboxProfile;
  /** The documented profile's answer to a route it does not have (default `not-found`: 404 `{message}`). */
  unknownRoute?: UnknownRouteAnswer;
  /** Called for each provider request just before its answer goes out: benchmarks count, chaos aims its kills. */
  onRequest?: (request: {
    method: string;
    path: string;
    /** The query string, `?…` or empty. */
    search: string;
    status: number | 'reset';
  }) => void;
}

export interface Sandbox {
  url: string;
  profile: SandboxProfile;
  state: SandboxState;
  /** Base URLs and keys for the provider clients. */
  endpoints: {
    tensorone: { baseURL: string; apiKey: string };
    tensormesh: { baseURL: string; apiKey: string };
    marqtune: { baseURL: string; apiKey: string };
  };
  close(): Promise<void>;
}

type ProviderKey = 'tensorone' | 'tensormesh' | 'marqtune';

interface Mount {
  prefix: string;
  provider?: ProviderKey;
  router: Router;
}

/** Starts the local provider sandbox: real HTTP on localhost for TensorOne, TensorMesh and Marqtune. */
export async function startSandbox(config: SandboxConfig = {}): Promise<Sandbox> {
  const { epochMs, queueMs, deployMs, seed } = config;
  const state = new SandboxState(
    { ...DEFAULT_SANDBOX_OPTIONS, ...stripUndefined({ epochMs, queueMs, deployMs, seed }) },
    config.timeSource,
  );
  state.faults = faultConfigSchema.parse(config.faults ?? {});
  const profile = profileSchema.parse(config.profile);
  const unknownRoute = unknownRouteSchema.parse(config.unknownRoute);
  const documented = profile === 'documented';
  const keys = {
    tensorone: config.keys?.tensorone ?? SANDBOX_DEFAULTS.tensoroneKey,
    tensormesh: config.keys?.tensormesh ?? SANDBOX_DEFAULTS.tensormeshKey,
    marqtune: config.keys?.marqtune ?? SANDBOX_DEFAULTS.marqtuneKey,
  };
  const mesh = tensormeshRoutes(state);
  const mounts: Mount[] = [
    { prefix: '/admin', router: adminRoutes(state) },
    { prefix: '/tensorone', provider: 'tensorone', router: tensoroneRoutes(state) },
    { prefix: '/tensormesh', provider: 'tensormesh', router: mesh.api },
    { prefix: '/marqtune', provider: 'marqtune', router: marqtuneRoutes(state) },
    { prefix: '', router: mesh.serving },
  ];
  const rateLimitedUntil = new Map<string, number>();

  const server = http.createServer((req, res) => {
    readBody(req)
      .then(async (raw) => {
        await state.syncClock();
        await handle(req, res, raw);
      })
      .catch(() => send(res, { status: 500, body: { message: 'sandbox error' } }, config.log, req));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const record = (status: number | 'reset') => {
      if (!mount.provider) return;
      state.logRequest(
        req.method ?? 'GET',
        url.pathname,
        status,
        headerValueOf(req.headers['x-request-origin']),
      );
      config.onRequest?.({ method: req.method ?? 'GET', path: url.pathname, search: url.search, status });
    };
    const method = (req.method ?? 'GET').toUpperCase();
    const mount = mounts.find(
      (m) => m.prefix === '' || url.pathname === m.prefix || url.pathname.startsWith(`${m.prefix}/`),
    )!;
    const reply = (r: Reply) => {
      record(r.status);
      send(res, r, config.log, req);
    };
    const path = url.pathname.slice(mount.prefix.length) || '/';
    const provider = mount.provider;
    if (provider) state.requests += 1;
    const f = state.faults;
    const faultable = provider && (!f.routePattern || new RegExp(f.routePattern).test(url.pathname));

    // Retry-After bookkeeping: a retry earlier than the server allowed is counted as a violation.
    // One caller's retries are told apart from other callers' requests by `x-request-origin`.
    const routeKey = `${method} ${url.pathname} ${headerValueOf(req.headers['x-request-origin'])}`;
    const until = rateLimitedUntil.get(routeKey);
    if (until !== undefined) {
      if (Date.now() < until - 50) state.retryAfterViolations += 1;
      rateLimitedUntil.delete(routeKey);
    }

    const resets = f.resetsInARow;
    if (provider && resets && resets.count > 0 && new RegExp(resets.routePattern).test(url.pathname)) {
      resets.count -= 1;
      state.countFault('connectionReset');
      record('reset');
      req.socket.destroy();
      return;
    }

    if (faultable) {
      const latency =
        f.latencyMs +
        (state.chance(f.latencySpikeRate) ? (state.countFault('latencySpike'), f.latencySpikeMs) : 0);
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (state.chance(f.resetRate)) {
        state.countFault('connectionReset');
        record('reset');
        req.socket.destroy();
        return;
      }
      if (state.chance(f.rateLimitRate)) {
        state.countFault('rateLimit');
        rateLimitedUntil.set(routeKey, Date.now() + f.retryAfterSeconds * 1000);
        return reply({
          status: 429,
          headers: { 'retry-after': String(f.retryAfterSeconds) },
          body: providerError(provider, 429, 'RATE_LIMITED', 'Too many requests'),
        });
      }
      if (state.chance(f.errorRate)) {
        state.countFault('serverError');
        const status = f.errorStatus ?? [500, 502, 503][Math.floor(Math.random() * 3)];
        return reply({
          status,
          body: providerError(provider, status, 'INTERNAL_ERROR', 'Internal server error.'),
        });
      }
    }

    let answer: Reply;
    let creates = false;
    let slow: { actAfterMs: number; answerAfterMs: number } | undefined;
    let routeTemplate = '';
    try {
      if (provider && !authorized(provider, req, keys)) throw unauthorized(provider);
      const found = mount.router.match(method, path);
      if (!('route' in found)) {
        if (provider === 'marqtune' && found.methodMismatch) throw marqtuneInvalidMethod();
        if (provider && documented) throw unknownRouteReply(unknownRoute, method, path);
        throw provider ? notFound(provider, url.pathname) : new HttpReply(404, { message: 'not found' });
      }
      routeTemplate = `${provider} ${method} ${found.route.template}`;
      if (provider && documented && isExtendedRoute(provider, method, found.route.template)) {
        state.countUndocumented(`${method} ${mount.prefix}${found.route.template}`);
        throw unknownRouteReply(unknownRoute, method, path);
      }
      creates = found.route.creates;
      slow = creates && provider ? takeSlowCreate(url.pathname) : undefined;
      if (slow?.actAfterMs) {
        await sleep(slow.actAfterMs);
        await state.syncClock();
      }
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        throw provider === 'tensorone'
          ? t1Error(400, 'INVALID_JSON', 'Request body is not valid JSON')
          : new HttpReply(400, { message: 'invalid JSON' });
      }
      const ctx: RequestContext = {
        method,
        path,
        params: found.params,
        query: documented ? documentedQuery(routeTemplate, url.searchParams) : url.searchParams,
        body,
        headers: req.headers,
        origin: `http://${req.headers.host ?? 'localhost'}`,
      };
      answer = found.route.handler(ctx);
      if (documented) answer = { ...answer, body: documentedBody(routeTemplate, answer.body) };
    } catch (err) {
      if (!(err instanceof HttpReply)) throw err;
      answer = { status: err.status, body: err.body, headers: err.headers };
    }
    if (slow?.answerAfterMs) await sleep(slow.answerAfterMs);
    if (answer.delayMs) await sleep(answer.delayMs);
    // "Response lost after the resource was created": the create happened, the client never hears.
    if (faultable && creates && answer.status < 300 && state.chance(f.lostCreateRate)) {
      state.countFault('lostCreateResponse');
      record('reset');
      req.socket.destroy();
      return;
    }
    // "Response lost after the resource was deleted": the delete happened, the client never hears.
    if (faultable && method === 'DELETE' && answer.status < 300 && state.chance(f.lostDeleteRate)) {
      state.countFault('lostDeleteResponse');
      record('reset');
      req.socket.destroy();
      return;
    }
    // A gateway in front of the provider answers with its own page, status 200 (`htmlAnswers`).
    if (provider && answer.status === 200 && state.answersHtml(method, url.pathname)) {
      return reply({ status: 200, raw: { contentType: 'text/html; charset=utf-8', text: GATEWAY_PAGE } });
    }
    reply(answer);
  }

  /** The slow-create fault for this create, if one is left for its path (and uses it up). */
  function takeSlowCreate(path: string): { actAfterMs: number; answerAfterMs: number } | undefined {
    const slowCreates = state.faults.slowCreates;
    if (!slowCreates || slowCreates.count <= 0 || !new RegExp(slowCreates.routePattern).test(path)) return;
    slowCreates.count -= 1;
    state.countFault('slowCreate');
    return slowCreates;
  }

  await new Promise<void>((resolve) => server.listen(config.port ?? 0, config.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    profile,
    state,
    endpoints: {
      tensorone: { baseURL: `${url}/tensorone`, apiKey: keys.tensorone },
      tensormesh: { baseURL: `${url}/tensormesh`, apiKey: keys.tensormesh },
      marqtune: { baseURL: `${url}/marqtune`, apiKey: keys.marqtune },
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function authorized(provider: ProviderKey, req: IncomingMessage, keys: Record<ProviderKey, string>): boolean {
  if (provider === 'marqtune') return req.headers['x-api-key'] === keys.marqtune;
  const auth = req.headers.authorization ?? '';
  // TensorOne's documents show both `Authorization: Bearer KEY` and a bare `Authorization: KEY`.
  return auth === `Bearer ${keys[provider]}` || (provider === 'tensorone' && auth === keys.tensorone);
}

function unauthorized(provider: ProviderKey): HttpReply {
  if (provider === 'marqtune') return new HttpReply(401, { message: 'Unauthorized.' });
  if (provider === 'tensormesh')
    return new HttpReply(401, { code: 16, message: 'invalid or missing bearer token', details: [] });
  return t1Error(401, 'UNAUTHORIZED', 'Invalid or missing API key');
}

function notFound(provider: ProviderKey, path: string): HttpReply {
  if (provider === 'marqtune') return new HttpReply(404, { statusCode: 404, body: { message: 'Not found' } });
  if (provider === 'tensormesh')
    return new HttpReply(404, { code: 5, message: `no route for ${path}`, details: [] });
  return t1Error(404, 'NOT_FOUND', `No route for ${path}`);
}

function providerError(provider: ProviderKey, status: number, code: string, message: string): unknown {
  if (provider === 'marqtune') return { message };
  if (provider === 'tensormesh') return { code: status === 429 ? 8 : 13, message, details: [] };
  return { error: code, message, details: {} };
}

function send(res: ServerResponse, reply: Reply, log: SandboxConfig['log'], req: IncomingMessage): void {
  if (res.headersSent || res.destroyed) return;
  const payload = reply.raw?.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    'content-type': reply.raw?.contentType ?? 'application/json',
    'x-request-id': `req_${Math.random().toString(16).slice(2, 10)}`,
    ...(reply.headers ?? {}),
  });
  res.end(payload);
  log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${reply.status}`);
}

const GATEWAY_PAGE =
  '<!DOCTYPE html><html><head><title>Please wait</title></head><body><h1>Checking your connection…</h1></body></html>';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headerValueOf(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value[0] : (value ?? '');
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
