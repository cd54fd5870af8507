import { ApplicationFailure } from '@temporalio/common';
import type { PromoteAnswer, PromoteRequest } from '../decisions/serving-slot';
import type { ProtectionRequest } from '../decisions/protection';
import { PROTECTION_NOT_RECORDED } from '../workflows/protection/contract';
import type { DeploymentServes } from '../workflows/cleanup/contract';
import { tellCleanupDeploymentServes } from './cleanup-go-ahead';

interface Parts {
  recordProtection(requests: ProtectionRequest[]): Promise<void>;
  promoteInSlot(input: { name: string; request: PromoteRequest }): Promise<PromoteAnswer>;
  /** Tells the pipeline's cleanup child; answers whether it was told. The worker's client by default. */
  tellCleanup?(run: { workflowId: string; runId: string }, serves: DeploymentServes): Promise<boolean>;
}

/** What a promotion answers, and whether the cleanup child it was asked to tell was told. */
export type RecordedPromotion = PromoteAnswer & { cleanupTold?: boolean };

/**
 * A verified deployment's protection record and its promotion, in that order, in one activity: one
 * activity task and one workflow task instead of two each. Both steps are idempotent, so a retry
 * records again and is told the same champion; the promotion is never asked before the record is made.
 * With `tellCleanup`, the pipeline's cleanup child is told the deployment serves once it does (never
 * before the promotion's answer), so it deletes while the pipeline's workflow task is still to come.
 */
export function recordedPromotionActivities(parts: Parts) {
  return {
    async recordAndPromoteInSlot(input: {
      records: ProtectionRequest[];
      name: string;
      request: PromoteRequest;
      tellCleanup?: { workflowId: string; runId: string } & DeploymentServes;
    }): Promise<RecordedPromotion> {
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
      const answer = await parts.promoteInSlot({ name: input.name, request: input.request });
      if (!input.tellCleanup) return answer;
      const { workflowId, runId, ...serves } = input.tellCleanup;
      const tell: NonNullable<Parts['tellCleanup']> = parts.tellCleanup ?? tellCleanupDeploymentServes;
      const told = await tell({ workflowId, runId }, serves);
      return { ...answer, cleanupTold: told };
    },
  };
}
