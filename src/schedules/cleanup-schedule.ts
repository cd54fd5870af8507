import type { Client } from '@temporalio/client';
import { checkpointCleanup } from '../workflows/cleanup';
import type { CleanupInput } from '../workflows/definitions';
import {
  listWorkflowSchedules,
  upsertWorkflowSchedule,
  type ScheduleTiming,
  type WorkflowScheduleSummary,
} from './workflow-schedule';

export { InvalidScheduleInput } from './workflow-schedule';

/** Creates the checkpoint-cleanup schedule, or updates it in place when it exists. */
export async function upsertCleanupSchedule(
  client: Client,
  spec: ScheduleTiming & { taskQueue: string; input: CleanupInput },
): Promise<{ created: boolean }> {
  return upsertWorkflowSchedule(
    client,
    { ...spec, what: 'cleanup', defaultNote: 'checkpoint cleanup (finetune-pipelines)' },
    {
      workflow: checkpointCleanup,
      taskQueue: spec.taskQueue,
      args: [spec.input],
      summary: `scheduled cleanup: keep the newest ${spec.input.retention.keepLastN ?? 3} automatic checkpoints of ${spec.input.jobFilter?.status ?? 'every'} jobs`,
    },
  );
}

export function listCleanupSchedules(client: Client): Promise<WorkflowScheduleSummary[]> {
  return listWorkflowSchedules(client, checkpointCleanup.name);
}
