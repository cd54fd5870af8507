import { ApplicationFailure } from '@temporalio/common';
import type { PromoteAnswer, PromoteRequest } from '../decisions/serving-slot';
import type { ProtectionRequest } from '../decisions/protection';
import { PROTECTION_NOT_RECORDED } from '../workflows/protection/contract';

interface Parts {
  recordProtection(requests: ProtectionRequest[]): Promise<void>;
  promoteInSlot(input: { name: string; request: PromoteRequest }): Promise<PromoteAnswer>;
}

/**
 * A verified deployment's protection record and its promotion, in that order, in one activity: one
 * activity task and one workflow task instead of two each. Both steps are idempotent, so a retry
 * records again and is told the same champion; the promotion is never asked before the record is made.
 */
export function recordedPromotionActivities(parts: Parts) {
  return {
    async recordAndPromoteInSlot(input: {
      records: ProtectionRequest[];
      name: string;
      request: PromoteRequest;
    }): Promise<PromoteAnswer> {
      try {
        await parts.recordProtection(input.records);
      } catch (err) {
        // Told apart from the promotion's own failures: nothing was promoted.
        const nonRetryable = err instanceof ApplicationFailure && err.nonRetryable === true;
        throw ApplicationFailure.create({
          message: `the deployment's protection record was not made: ${(err as Error).message}`,
          type: PROTECTION_NOT_RECORDED,
          nonRetryable,
          cause: err as Error,
        });
      }
      return parts.promoteInSlot({ name: input.name, request: input.request });
    },
  };
}
