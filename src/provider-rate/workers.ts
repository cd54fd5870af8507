/**
 * The provider task queues' workers (./activity-queues.ts): activity-only workers in the worker
 * process, one per provider, polling `<queue>--<provider>` with the server-enforced
 * `maxTaskQueueActivitiesPerSecond` set from TENSORONE_MAX_RPS, TENSORMESH_MAX_RPS, MARQTUNE_MAX_RPS
 * (`dispatchRateFor`). The Temporal server dispatches that queue's activities to all its pollers
 * together: every worker process of the fleet shares the one limit. A provider activity makes one
 * request (a create's lookup only on a retry), so no second sees more requests than the limit. A 429
 * still waits its `Retry-After` (src/activities/failures.ts).
 */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { dispatchRateFor, providerMaxRps, type RateLimitSettings } from './limits';
import { QUEUED_PROVIDERS, providerTaskQueue } from './providers';

/** The interceptor a worker's workflows need to put provider activities on these queues. */
export const PROVIDER_QUEUE_INTERCEPTORS = require.resolve('./queue-interceptors');

/** Where the provider queues' workers poll: the main worker's connection and task queue. */
export interface ProviderQueuesWiring {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  settings: RateLimitSettings;
}

export function createProviderWorkers(
  w: ProviderQueuesWiring,
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
