import { z } from 'zod';
import { HttpReply } from './router';

/**
 * The sandbox's two profiles. `documented` serves exactly what the provider documents in
 * ../shared/api-docs promise; `extended` (the default) adds what this project assumes on top of them,
 * and THIS FILE lists every such addition. Anything not listed here is served the same in both.
 */
export const SANDBOX_PROFILES = ['extended', 'documented'] as const;
export type SandboxProfile = (typeof SANDBOX_PROFILES)[number];

/**
 * How a route the provider does not have is answered in the documented profile: as an unknown route
 * would be. `invalid-method` is what TensorOne's API answers: `400 {"message":"Invalid request method"}`.
 * `framework-not-found` is many web frameworks' default, naming the method and path (and so the id):
 * `404 {"error":"NOT_FOUND","message":"No route GET /v2/endpoints/ep_2"}`; `empty-not-found` a bare 404.
 */
export const UNKNOWN_ROUTE_ANSWERS = [
  'not-found',
  'method-not-allowed',
  'invalid-method',
  'framework-not-found',
  'empty-not-found',
] as const;
export type UnknownRouteAnswer = (typeof UNKNOWN_ROUTE_ANSWERS)[number];

export const profileSchema = z.enum(SANDBOX_PROFILES).default('extended');
export const unknownRouteSchema = z.enum(UNKNOWN_ROUTE_ANSWERS).default('not-found');

/** `method` and `path` (the provider's own, without the sandbox's mount prefix) name the route asked. */
export function unknownRouteReply(answer: UnknownRouteAnswer, method: string, path: string): HttpReply {
  if (answer === 'method-not-allowed') return new HttpReply(405, { message: 'Method Not Allowed' });
  if (answer === 'invalid-method') return new HttpReply(400, { message: 'Invalid request method' });
  if (answer === 'framework-not-found')
    return new HttpReply(404, { error: 'NOT_FOUND', message: `No route ${method} ${path}` });
  if (answer === 'empty-not-found') return new HttpReply(404, undefined);
  return new HttpReply(404, { message: 'Not Found' });
}

type Provider = 'tensorone' | 'tensormesh' | 'marqtune';

/** Routes the extended profile serves that no document lists (`METHOD template`, per provider). */
export const EXTENDED_ROUTES: Record<Provider, readonly string[]> = {
  tensorone: ['GET /v2/endpoints', 'GET /v2/endpoints/:endpointId', 'DELETE /v2/endpoints/:endpointId'],
  tensormesh: ['GET /v1/models', 'GET /v1/models/:modelId', 'DELETE /v1/models/:modelId'],
  marqtune: [],
};

/**
 * Response fields the extended profile adds over the documents, per route. The documents show only
 * `id` and `url` of `POST /v2/endpoints` (the Python example reads `endpoint['id']`, `endpoint['url']`).
 */
export const DOCUMENTED_FIELDS: Record<string, readonly string[]> = {
  'tensorone POST /v2/endpoints': ['id', 'url'],
};

/** Query the checkpoint list honours beyond the documents: `offset`, and `sortBy=validationLoss`. */
export const CHECKPOINT_LIST_ROUTE = 'tensorone GET /v2/training/jobs/:jobId/checkpoints';
export const DOCUMENTED_CHECKPOINT_SORTS = ['createdAt', 'epoch', 'step', 'loss', 'accuracy'];

export function isExtendedRoute(provider: Provider, method: string, template: string): boolean {
  return EXTENDED_ROUTES[provider].includes(`${method} ${template}`);
}

/** The query a documented-profile route sees: what the documents do not list is dropped. */
export function documentedQuery(routeKey: string, query: URLSearchParams): URLSearchParams {
  if (routeKey !== CHECKPOINT_LIST_ROUTE) return query;
  const out = new URLSearchParams();
  for (const key of ['includeMetrics', 'sortBy', 'sortOrder', 'limit']) {
    const value = query.get(key);
    if (value === null) continue;
    if (key === 'sortBy' && !DOCUMENTED_CHECKPOINT_SORTS.includes(value)) continue;
    out.set(key, value);
  }
  return out;
}

/** The body a documented-profile route answers: only the documented fields, where the list above says. */
export function documentedBody(routeKey: string, body: unknown): unknown {
  const fields = DOCUMENTED_FIELDS[routeKey];
  if (!fields || !body || typeof body !== 'object') return body;
  const record = body as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => f in record).map((f) => [f, record[f]]));
}

/** SANDBOX_PROFILE and SANDBOX_UNKNOWN_ROUTE, refused with a message naming the variable when invalid. */
export function sandboxProfileFromEnv(env: NodeJS.ProcessEnv = process.env): {
  profile: SandboxProfile;
  unknownRoute: UnknownRouteAnswer;
} {
  const profile = profileSchema.safeParse(env.SANDBOX_PROFILE || undefined);
  if (!profile.success) throw new Error(`SANDBOX_PROFILE must be one of ${SANDBOX_PROFILES.join(', ')}`);
  const unknownRoute = unknownRouteSchema.safeParse(env.SANDBOX_UNKNOWN_ROUTE || undefined);
  if (!unknownRoute.success)
    throw new Error(`SANDBOX_UNKNOWN_ROUTE must be one of ${UNKNOWN_ROUTE_ANSWERS.join(', ')}`);
  return { profile: profile.data, unknownRoute: unknownRoute.data };
}
