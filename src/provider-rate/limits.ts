import type { WorkerEnv } from '../config/worker-config';
import { QUEUED_PROVIDERS, type QueuedProvider } from './providers';

/** Requests per second the server holds each provider's task queue to (`*_MAX_RPS`), where one is set. */
export type ProviderRateLimits = Partial<Record<QueuedProvider, number>>;

const MAX_RPS = {
  tensorone: 'TENSORONE_MAX_RPS',
  tensormesh: 'TENSORMESH_MAX_RPS',
  marqtune: 'MARQTUNE_MAX_RPS',
} as const satisfies Record<QueuedProvider, keyof WorkerEnv>;

export type RateLimitSettings = Pick<WorkerEnv, (typeof MAX_RPS)[QueuedProvider]>;

/** The configured limit of one provider, requests (activities) per second, or undefined. */
export function providerMaxRps(settings: RateLimitSettings, provider: QueuedProvider): number | undefined {
  return settings[MAX_RPS[provider]];
}

/** Every configured limit. */
export function providerRateLimits(settings: RateLimitSettings): ProviderRateLimits {
  return Object.fromEntries(
    QUEUED_PROVIDERS.flatMap((p) => {
      const rps = providerMaxRps(settings, p);
      return rps === undefined ? [] : [[p, rps]];
    }),
  );
}

/**
 * The rate the server dispatches a provider queue at, for a provider limit of `limit` requests in any
 * one second: half of it. The server holds a queue with a token bucket that holds one second of tokens,
 * so after a quiet spell a second can see the bucket's burst plus a second of refill, twice the rate.
 * At half the limit that busiest second is the limit itself; the steady rate is half the limit.
 */
export function dispatchRateFor(limit: number | undefined): number | undefined {
  return limit === undefined ? undefined : limit / 2;
}

/**
 * What the worker fleet's provider rate limits are. Workflow code cannot read the worker's settings,
 * and a limit only holds for activities that make one request each: a workflow asks here before it
 * chooses between a heartbeating batch of many requests and one activity per request.
 */
export function rateLimitActivities(limits: ProviderRateLimits) {
  return {
    async providerRateLimits(): Promise<ProviderRateLimits> {
      return limits;
    },
  };
}
