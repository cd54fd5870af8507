import { ApplicationFailure } from '@temporalio/common';
import { saysCheckpointGone, type ClaimAnswer, type ProtectionRequest } from '../decisions/protection';
import type { SlotDeployment } from '../decisions/serving-slot';

interface Parts {
  claimProtection(requests: ProtectionRequest[]): Promise<ClaimAnswer>;
  servingChampion(name: string): Promise<SlotDeployment | undefined>;
  /**
   * The documented checkpoint GET, classified; absent on a worker whose TensorOne requests are held to
   * a rate limit (a read from here would bypass it: the pipeline then asks on the provider's queue).
   */
  getCheckpoint?: (checkpointId: string) => Promise<unknown>;
}

/** The claim's answer, and what serves the slot as it was answered (none before the first promotion). */
export interface ClaimWithChampion extends ClaimAnswer {
  champion?: SlotDeployment;
  /**
   * Whether the claimed checkpoint was still there after the claim (asked only with `confirm`, when
   * nothing of it is being deleted and this worker may read the provider directly).
   */
  stillThere?: boolean;
}

/**
 * A pipeline's candidate claim and its read of the slot's champion (the gate's baseline), in one
 * activity: the read no longer needs an activity task and a workflow task of its own. Both ask the
 * worker's Temporal client; the claim is idempotent and the read has no effect, so a retry repeats both.
 * With `confirm`, the checkpoint's GET follows the claim's answer (never before it: a cleanup's deletion
 * before the claim held no lease by then, and only the provider can tell): 404 is gone, any other
 * failure fails the attempt, and the retry claims again (idempotent) before it asks again.
 */
export function claimWithChampionActivities(parts: Parts) {
  return {
    async claimWithChampion(input: {
      requests: ProtectionRequest[];
      slot: string;
      confirm?: string;
    }): Promise<ClaimWithChampion> {
      const [answer, champion] = await Promise.all([
        parts.claimProtection(input.requests),
        parts.servingChampion(input.slot),
      ]);
      const claimed = champion ? { ...answer, champion } : answer;
      if (!input.confirm || !parts.getCheckpoint || answer.beingDeleted.length > 0) return claimed;
      return { ...claimed, stillThere: await stillThere(parts.getCheckpoint, input.confirm) };
    },
  };
}

async function stillThere(get: (checkpointId: string) => Promise<unknown>, checkpointId: string) {
  try {
    await get(checkpointId);
    return true;
  } catch (err) {
    if (saysCheckpointGone(err instanceof ApplicationFailure ? err : undefined)) return false;
    throw err;
  }
}
