import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { servingSlots } from '../clients/serving-slots';
import type { PromoteAnswer, PromoteRequest, SlotDeployment } from '../decisions/serving-slot';

/** A pipeline's side of its serving slot, through the worker's own Temporal client. */
export function servingSlotActivities() {
  const slots = () => {
    const { info, client } = Context.current();
    return servingSlots(client, info.taskQueue);
  };
  return {
    /**
     * Promotes the calling run's verified deployment. Idempotent: a retry after a lost answer is told
     * the same champion. A promotion the slot refuses fails for good, naming why.
     */
    async promoteInSlot(input: { name: string; request: PromoteRequest }): Promise<PromoteAnswer> {
      try {
        return await slots().promote(input.name, input.request);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw ApplicationFailure.nonRetryable(
            `slot ${input.name} refused the promotion: ${(err.cause as Error | undefined)?.message ?? err.message}`,
            'PROMOTION_REFUSED',
          );
        throw err;
      }
    },
    /** What serves the pipeline's name now, for the gate to compare against; none before the first promotion. */
    async servingChampion(name: string): Promise<SlotDeployment | undefined> {
      return (await slots().read(name))?.champion;
    },
  };
}
