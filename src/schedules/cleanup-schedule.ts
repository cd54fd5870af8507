import type { Client } from '@temporalio/client';
import {
  cleanupCreateCommand,
  mergeCleanupInput,
  type CleanupScheduleChanges,
} from '../decisions/cleanup-schedule';
import { checkpointCleanup } from '../workflows/cleanup';
import type { CleanupInput } from '../workflows/cleanup/contract';
import {
  listWorkflowSchedules,
  updateWorkflowSchedule,
  upsertWorkflowSchedule,
  type ScheduleSettings,
  type ScheduleTiming,
  type WorkflowScheduleSummary,
} from './workflow-schedule';

export { InvalidScheduleInput } from './workflow-schedule';

const NOTE = 'checkpoint cleanup (finetune-pipelines)';

/** Creates the checkpoint-cleanup schedule, or updates it in place when it exists. */
export async function upsertCleanupSchedule(
  client: Client,
  spec: ScheduleTiming & { taskQueue: string; input: CleanupInput },
): Promise<{ created: boolean; before?: ScheduleSettings<CleanupInput> }> {
  return upsertWorkflowSchedule(
    client,
    { ...spec, what: 'cleanup', defaultNote: NOTE },
    {
      workflow: checkpointCleanup,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      summary: cleanupSummary(spec.input),
    },
  );
}

const cleanupSummary = (input: CleanupInput) =>
  `scheduled cleanup: keep the newest ${input.retention.keepLastN ?? 3} automatic checkpoints of ${input.jobFilter?.status ?? 'every'} jobs`;

/** Changes only the settings given and keeps every other one; answers the settings before and after. */
export function updateCleanupSchedule(
  client: Client,
  scheduleId: string,
  changes: CleanupScheduleChanges,
): Promise<{ before: ScheduleSettings<CleanupInput>; after: ScheduleSettings<CleanupInput> }> {
  return updateWorkflowSchedule<CleanupInput>(client, scheduleId, {
    workflowType: checkpointCleanup.name,
    what: 'the checkpoint cleanup',
    defaultNote: NOTE,
    createCommand: cleanupCreateCommand(scheduleId),
    timing: changes.timing,
    merge: (previous) => mergeCleanupInput(previous, changes),
    summary: cleanupSummary,
  });
}

export function listCleanupSchedules(client: Client): Promise<WorkflowScheduleSummary<CleanupInput>[]> {
  return listWorkflowSchedules<CleanupInput>(client, checkpointCleanup.name);
}
