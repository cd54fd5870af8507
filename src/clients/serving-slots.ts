import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { PromoteAnswer, PromoteRequest, RollbackAnswer, SlotState } from '../decisions/serving-slot';
import {
  type ServingSlotInput,
  promoteUpdate,
  rollbackUpdate,
  SERVING_SLOT_WORKFLOW_TYPE,
  servingSlotId,
  slotQuery,
} from '../workflows/serving-slot/contract';
import { unlessNotFound } from './long-lived';

/**
 * The client side of the `servingSlot` workflows (one per pipeline name and task queue), shared by the
 * activities and the CLI.
 */
export function servingSlots(client: Client, taskQueue: string) {
  const handle = (name: string) => client.workflow.getHandle(servingSlotId(name, taskQueue));
  return {
    /**
     * Makes the deployment the slot's champion; the slot starts with its first promotion. One request
     * either way (Update-with-Start): a first promotion does not first learn the slot is missing, then
     * start it, then ask again, and the new slot takes its start and the promotion in one workflow task.
     */
    promote: (name: string, request: PromoteRequest): Promise<PromoteAnswer> =>
      client.workflow.executeUpdateWithStart(promoteUpdate, {
        args: [request],
        startWorkflowOperation: new WithStartWorkflowOperation(SERVING_SLOT_WORKFLOW_TYPE, {
          workflowId: servingSlotId(name, taskQueue),
          taskQueue,
          args: [{ name } satisfies ServingSlotInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    /** Puts the draining former champion back; the slot's validator refuses when there is none. */
    rollback: (name: string, request: { by?: string; reason?: string }): Promise<RollbackAnswer> =>
      handle(name).executeUpdate(rollbackUpdate, { args: [request] }),
    /** The slot's state; undefined when nothing was ever promoted under that name. */
    read: (name: string): Promise<SlotState | undefined> =>
      unlessNotFound(() => handle(name).query(slotQuery)),
    /** Every slot of this installation (from visibility: a slot promoted a moment ago may be missing). */
    async list(): Promise<SlotState[]> {
      const prefix = servingSlotId('', taskQueue);
      const slots: SlotState[] = [];
      for await (const w of client.workflow.list({
        query: `WorkflowType = '${SERVING_SLOT_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
      })) {
        if (!w.workflowId.startsWith(prefix)) continue;
        const state = await this.read(w.workflowId.slice(prefix.length));
        if (state) slots.push(state);
      }
      return slots.sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}
