/**
 * The provider task queues' workers (src/workflows/provider-queues.ts): activity-only workers in the
 * worker process, one per provider, polling `<queue>--<provider>` with the server-enforced
 * `maxTaskQueueActivitiesPerSecond` set from TENSORONE_MAX_RPS, TENSORMESH_MAX_RPS, MARQTUNE_MAX_RPS
 * (`dispatchRateFor`). The Temporal server dispatches that queue's activities to all its pollers
 * together: every worker process of the fleet shares the one limit. A provider activity makes one
 * request (a create's lookup only on a retry), so no second sees more requests than the limit. A 429
 * still waits its `Retry-After` (src/activities/failures.ts).
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { WorkerEnv } from './config/worker-config';
import type { WorkerWiring } from './worker-factory';
import { QUEUED_PROVIDERS, providerTaskQueue, type QueuedProvider } from './workflows/provider-queues';

/** The interceptor a worker's workflows need to put provider activities on these queues. */
export const PROVIDER_QUEUE_INTERCEPTORS = require.resolve('./workflows/provider-queue-interceptors');

const MAX_RPS = {
  tensorone: 'TENSORONE_MAX_RPS',
  tensormesh: 'TENSORMESH_MAX_RPS',
  marqtune: 'MARQTUNE_MAX_RPS',
} as const satisfies Record<QueuedProvider, keyof WorkerEnv>;

/** The configured limit of one provider, requests (activities) per second, or undefined. */
export function providerMaxRps(
  settings: Pick<WorkerEnv, (typeof MAX_RPS)[QueuedProvider]>,
  provider: QueuedProvider,
): number | undefined {
  return settings[MAX_RPS[provider]];
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

export function createProviderWorkers(
  w: Pick<WorkerWiring, 'connection' | 'namespace' | 'taskQueue' | 'settings'>,
  shared: Partial<WorkerOptions>,
): Promise<Worker[]> {
  return Promise.all(
    QUEUED_PROVIDERS.map((provider) =>
      Worker.create({
        connection: w.connection,
        ...(w.namespace ? { namespace: w.namespace } : {}),
        taskQueue: providerTaskQueue(w.taskQueue, provider),
        ...shared,
        maxTaskQueueActivitiesPerSecond: dispatchRateFor(providerMaxRps(w.settings, provider)),
      }),
    ),
  );
}
