import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PromoteAnswer, PromoteRequest, RollbackAnswer, SlotState } from '../../decisions/serving-slot';

// The contract of `servingSlot`, what serves a pipeline's name: its type, id, input and messages.

export const SERVING_SLOT_WORKFLOW_TYPE = 'servingSlot';
/** One slot per pipeline name (and installation): the same name run again replaces what serves. */
export const servingSlotId = (name: string, taskQueue: string) => `serving-slot--${taskQueue}--${name}`;

export interface ServingSlotInput {
  name: string;
  state?: SlotState;
  historyEventLimit?: number;
}
/** A pipeline run's verified deployment replaces the champion, which drains before it is retired. */
export const promoteUpdate = defineUpdate<PromoteAnswer, [PromoteRequest]>('promoteDeployment');
/** `starter rollback`: the former champion serves again while it drains; refused once it is retired. */
export const rollbackUpdate = defineUpdate<RollbackAnswer, [{ by?: string; reason?: string }]>(
  'rollbackDeployment',
);
export const slotQuery = defineQuery<SlotState>('slot');
