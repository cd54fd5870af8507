import axios, { AxiosInstance, isAxiosError } from 'axios';
import { z } from 'zod';
import {
  Capabilities,
  readAssumedRouteFailure,
  type AssumedCapability,
  type CapabilityAbsent,
} from './capabilities';
import { ProviderError, type Remote } from './provider-error';
import { redact, redactText, registerSecret } from './redact';
import { recordProviderRequest } from './request-metrics';
import { parseRetryAfter } from './units';

/**
 * Where a request comes from (e.g. `workflowId/activityId`), sent as `x-request-origin` so a provider
 * (and the sandbox's Retry-After check) can tell one caller's retries from another caller's requests.
 */
let requestOrigin: () => string | undefined = () => undefined;
export function setRequestOrigin(origin: () => string | undefined): void {
  requestOrigin = origin;
}

interface TransportOptions {
  provider: Remote;
  baseURL: string;
  /** Auth headers; the values are registered as secrets and scrubbed from every error. */
  authHeaders: Record<string, string>;
  /** Bounds the whole exchange, connect to last byte (default 30 s). */
  timeoutMs?: number;
  /** Unwraps a provider envelope (Marqtune's `{statusCode, body}`) before validation. */
  unwrap?: (data: unknown) => unknown;
  /** What this client learns about assumed routes; one per client, so one per worker process. */
  capabilities?: Capabilities;
}

interface RequestSpec<S extends z.ZodTypeAny> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Route template used in errors and logs, e.g. `/v2/training/jobs/:id`. */
  route: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  schema: S;
  /** Status and headers only: the answer's body is never read, whatever its size (a webhook's). */
  discardBody?: boolean;
}

/**
 * A route template and its path from one definition: `routeTo('/v2/jobs/:jobId/stop', { jobId })` is
 * `{ route: '/v2/jobs/:jobId/stop', path: '/v2/jobs/job%2F1/stop' }` for jobId `job/1`.
 */
export function routeTo(
  template: string,
  params: Record<string, string> = {},
): { route: string; path: string } {
  const path = template.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${template} needs :${name}`);
    return encodeURIComponent(value);
  });
  return { route: template, path };
}

/**
 * One HTTP call, no retries (retries are Temporal's job). Every non-2xx answer, network failure and
 * response that does not match the schema becomes a ProviderError built from redacted material only.
 */
export class Transport {
  readonly provider: Remote;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly unwrap: (data: unknown) => unknown;
  readonly capabilities: Capabilities;

  constructor(options: TransportOptions) {
    this.provider = options.provider;
    for (const value of Object.values(options.authHeaders)) {
      registerSecret(value);
      registerSecret(value.replace(/^Bearer\s+/i, ''));
    }
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.http = axios.create({
      baseURL: options.baseURL,
      timeout: this.timeoutMs, // an idle socket
      headers: { ...options.authHeaders, 'content-type': 'application/json' },
      validateStatus: () => true,
      maxRedirects: 0,
    });
    this.unwrap = options.unwrap ?? ((d) => d);
    this.capabilities = options.capabilities ?? new Capabilities();
  }

  /**
   * A request on a route the documents do not list, read by `readAssumedRouteFailure`: a 2xx marks the
   * route present; "route absent" answers `CapabilityAbsent` now and, without a request, from then on;
   * a 404 before the route was seen present answers `CapabilityAbsent` with `unsure` for this call
   * only. Every other failure is thrown as from `request`.
   */
  async optional<S extends z.ZodTypeAny>(
    capability: AssumedCapability,
    spec: RequestSpec<S>,
  ): Promise<z.infer<S> | CapabilityAbsent> {
    if (this.capabilities.isAbsent(capability)) return this.capabilities.answer(capability);
    let answer: z.infer<S>;
    try {
      answer = await this.request(spec);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const because = `HTTP ${err.status} ${err.code}`;
      const reading = readAssumedRouteFailure(err, this.capabilities.isPresent(capability));
      if (reading === 'route-absent') return this.capabilities.markAbsent(capability, because);
      if (reading === 'cannot-tell') return this.capabilities.cannotTell(capability, because);
      throw err;
    }
    this.capabilities.markPresent(capability);
    return answer;
  }

  async request<S extends z.ZodTypeAny>(spec: RequestSpec<S>): Promise<z.infer<S>> {
    const route = `${spec.method} ${spec.route}`;
    let response;
    try {
      response = await this.http.request({
        method: spec.method,
        url: spec.path,
        params:
          spec.query && Object.fromEntries(Object.entries(spec.query).filter(([, v]) => v !== undefined)),
        data: spec.body,
        headers: originHeader(),
        signal: AbortSignal.timeout(this.timeoutMs), // the whole exchange
        ...(spec.discardBody ? { responseType: 'stream' as const } : {}),
      });
    } catch (err) {
      recordProviderRequest(this.provider, route, undefined, undefined);
      throw this.networkError(route, err);
    }
    if (spec.discardBody) (response.data as { destroy(): void }).destroy();
    const data: unknown = spec.discardBody ? '' : response.data;
    const requestId = headerValue(response.headers['x-request-id']);
    recordProviderRequest(
      this.provider,
      route,
      response.status,
      parseRetryAfter(headerValue(response.headers['retry-after'])),
    );
    if (response.status < 200 || response.status >= 300) {
      throw this.httpError(
        route,
        response.status,
        data,
        headerValue(response.headers['retry-after']),
        requestId,
      );
    }
    const payload = response.status === 204 || data === '' ? {} : this.unwrap(data);
    const parsed = spec.schema.safeParse(payload);
    if (!parsed.success) throw this.malformed(route, parsed.error, requestId);
    return parsed.data;
  }

  private networkError(route: string, err: unknown): ProviderError {
    const code = isAxiosError(err) ? (err.code ?? 'NETWORK_ERROR') : 'NETWORK_ERROR';
    const message = isAxiosError(err) ? err.message : String(err);
    return new ProviderError({
      provider: this.provider,
      route,
      kind: 'network',
      code: 'NETWORK_ERROR',
      message: redactText(`${code}: ${message}`),
    });
  }

  private httpError(route: string, status: number, data: unknown, retryAfter?: string, requestId?: string) {
    const body = errorBody(data);
    return new ProviderError({
      provider: this.provider,
      route,
      kind: 'http',
      status,
      code: body.code ?? `HTTP_${status}`,
      message: redactText(body.message ?? `HTTP ${status}`),
      details: redact(body.details),
      retryAfterMs: parseRetryAfter(retryAfter),
      requestId,
    });
  }

  private malformed(route: string, error: z.ZodError, requestId?: string): ProviderError {
    const issue = error.issues[0];
    const field = issue.path.length ? issue.path.map(String).join('.') : '(body)';
    return new ProviderError({
      provider: this.provider,
      route,
      kind: 'malformed',
      code: 'MALFORMED_RESPONSE',
      message: `response field '${field}' is invalid: ${redactText(issue.message)}`,
      details: { field },
      requestId,
    });
  }
}

function originHeader(): Record<string, string> | undefined {
  const origin = requestOrigin();
  return origin ? { 'x-request-origin': origin } : undefined;
}

function headerValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
}

interface ErrorBody {
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

/**
 * Reads every documented error shape: TensorOne `{error, message, details}`, Marqtune's
 * `{statusCode, body: {message}}` and bare `{message}`, and gRPC-gateway `{code, message, details}`.
 */
function errorBody(data: unknown): ErrorBody {
  if (!data || typeof data !== 'object')
    return typeof data === 'string' && data ? { message: data.slice(0, 500) } : {};
  const obj = data as Record<string, unknown>;
  if (obj.body && typeof obj.body === 'object' && 'statusCode' in obj) return errorBody(obj.body);
  const code =
    typeof obj.error === 'string' ? obj.error : typeof obj.code === 'string' ? obj.code : undefined;
  const message = typeof obj.message === 'string' ? obj.message : undefined;
  const details =
    obj.details && typeof obj.details === 'object' && !Array.isArray(obj.details)
      ? (obj.details as Record<string, unknown>)
      : Array.isArray(obj.details)
        ? { items: obj.details }
        : undefined;
  return { code, message, details };
}
