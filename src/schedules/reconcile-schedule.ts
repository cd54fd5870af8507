import type { Client } from '@temporalio/client';
import type { ReconcileInput } from '../decisions/reconcile';
import { reconcileOrphans } from '../workflows/reconcile';
import {
  listWorkflowSchedules,
  upsertWorkflowSchedule,
  type ScheduleTiming,
  type WorkflowScheduleSummary,
} from './workflow-schedule';

/** Creates the orphan-reconciler schedule, or updates it in place when it exists. */
export async function upsertReconcileSchedule(
  client: Client,
  spec: ScheduleTiming & { taskQueue: string; input: ReconcileInput },
): Promise<{ created: boolean }> {
  return upsertWorkflowSchedule(
    client,
    { ...spec, what: 'reconcile', defaultNote: 'orphan reconciler (finetune-pipelines)' },
    {
      workflow: reconcileOrphans,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      summary: `scheduled reconcile: stop or remove what pipeline runs closed over ${Math.round(spec.input.graceMs / 60_000)} minutes ago left${spec.input.dryRun ? ' (dry run)' : ''}`,
    },
  );
}

export function listReconcileSchedules(client: Client): Promise<WorkflowScheduleSummary[]> {
  return listWorkflowSchedules(client, reconcileOrphans.name);
}
