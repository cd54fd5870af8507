import type { Client } from '@temporalio/client';
import {
  mergeReconcileInput,
  reconcileCreateCommand,
  type ReconcileScheduleChanges,
} from '../decisions/reconcile-schedule';
import type { ReconcileInput } from '../decisions/reconcile';
import { reconcileOrphans } from '../workflows/reconcile';
import {
  listWorkflowSchedules,
  updateWorkflowSchedule,
  upsertWorkflowSchedule,
  type ScheduleSettings,
  type ScheduleTiming,
  type WorkflowScheduleSummary,
} from './workflow-schedule';

const NOTE = 'orphan reconciler (finetune-pipelines)';

/** Creates the orphan-reconciler schedule, or updates it in place when it exists. */
export async function upsertReconcileSchedule(
  client: Client,
  spec: ScheduleTiming & { taskQueue: string; input: ReconcileInput },
): Promise<{ created: boolean; before?: ScheduleSettings<ReconcileInput> }> {
  return upsertWorkflowSchedule(
    client,
    { ...spec, what: 'reconcile', defaultNote: NOTE },
    {
      workflow: reconcileOrphans,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      summary: reconcileSummary(spec.input),
    },
  );
}

const reconcileSummary = (input: ReconcileInput) =>
  `scheduled reconcile: stop or remove what pipeline runs closed over ${Math.round(input.graceMs / 60_000)} minutes ago left${input.dryRun ? ' (dry run)' : ''}`;

/** Changes only the settings given and keeps every other one; answers the settings before and after. */
export function updateReconcileSchedule(
  client: Client,
  scheduleId: string,
  changes: ReconcileScheduleChanges,
): Promise<{ before: ScheduleSettings<ReconcileInput>; after: ScheduleSettings<ReconcileInput> }> {
  return updateWorkflowSchedule<ReconcileInput>(client, scheduleId, {
    workflowType: reconcileOrphans.name,
    what: 'the orphan reconciler',
    defaultNote: NOTE,
    createCommand: reconcileCreateCommand(scheduleId),
    timing: changes.timing,
    merge: (previous) => mergeReconcileInput(previous, changes),
    summary: reconcileSummary,
  });
}

export function listReconcileSchedules(client: Client): Promise<WorkflowScheduleSummary<ReconcileInput>[]> {
  return listWorkflowSchedules<ReconcileInput>(client, reconcileOrphans.name);
}
