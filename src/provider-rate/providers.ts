/**
 * The providers whose activities run on a task queue of their own (`<queue>--tensorone`, …), polled by
 * every worker process with the server-enforced `maxTaskQueueActivitiesPerSecond` (TENSORONE_MAX_RPS,
 * …): the Temporal server, not each process, holds the fleet to a provider's rate limit. Deterministic
 * (workflow code imports it).
 */
export const QUEUED_PROVIDERS = ['tensorone', 'tensormesh', 'marqtune'] as const;
export type QueuedProvider = (typeof QUEUED_PROVIDERS)[number];

export function providerTaskQueue(mainQueue: string, provider: QueuedProvider): string {
  return `${mainQueue}--${provider}`;
}
