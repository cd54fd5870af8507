import type { QueuedProvider } from '../workflows/provider-queues';

/** Requests per second the server holds each provider's task queue to (`*_MAX_RPS`), where one is set. */
export type ProviderRateLimits = Partial<Record<QueuedProvider, number>>;

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
