/**
 * Workflow interceptor the worker process installs (src/worker-factory.ts, and the prebuilt bundle):
 * schedules each provider activity on its provider's task queue (./activity-queues.ts), where the
 * server holds every worker of the fleet to the configured rate. Workflows recorded without the patch
 * marker keep their activities on their own queue when they replay; the worker polls both.
 */
import { workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { releasedPatch } from '../workflows/released-patch';
import { PROVIDER_QUEUE_PATCH, providerOfActivity } from './activity-queues';
import { providerTaskQueue } from './providers';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        const provider = providerOfActivity(input.activityType);
        // An activity given a queue of its own keeps it.
        if (!provider || input.options.taskQueue || !releasedPatch(PROVIDER_QUEUE_PATCH)) return next(input);
        const taskQueue = providerTaskQueue(workflowInfo().taskQueue, provider);
        return next({ ...input, options: { ...input.options, taskQueue } });
      },
    },
  ],
});
