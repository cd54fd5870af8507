import type { ClaimAnswer, ProtectionRequest } from '../decisions/protection';
import type { SlotDeployment } from '../decisions/serving-slot';

interface Parts {
  claimProtection(requests: ProtectionRequest[]): Promise<ClaimAnswer>;
  servingChampion(name: string): Promise<SlotDeployment | undefined>;
}

/** The claim's answer, and what serves the slot as it was answered (none before the first promotion). */
export interface ClaimWithChampion extends ClaimAnswer {
  champion?: SlotDeployment;
}

/**
 * A pipeline's candidate claim and its read of the slot's champion (the gate's baseline), in one
 * activity: the read no longer needs an activity task and a workflow task of its own. Both ask the
 * worker's Temporal client; the claim is idempotent and the read has no effect, so a retry repeats both.
 */
export function claimWithChampionActivities(parts: Parts) {
  return {
    async claimWithChampion(input: {
      requests: ProtectionRequest[];
      slot: string;
    }): Promise<ClaimWithChampion> {
      const [answer, champion] = await Promise.all([
        parts.claimProtection(input.requests),
        parts.servingChampion(input.slot),
      ]);
      return champion ? { ...answer, champion } : answer;
    },
  };
}
