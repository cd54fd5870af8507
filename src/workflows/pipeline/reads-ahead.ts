import type { PipelineSpec } from '../../domain/pipeline-input';
import type { GateBaseline } from '../../decisions/gate';
import type { PipelineStatus } from './contract';
import { requireTrainingEnded } from './believe';
import type { SlotDeployment } from '../../decisions/serving-slot';
import { championBaseline, championBaselineOf } from './promote';
import {
  looksBeforeDeploy,
  readsAheadOfTheClaim,
  readsChampionWithTheClaim,
  usesServingSlot,
} from './patches';

/** Reads started together with the candidate's listing, each awaited where the pipeline needs it. */
export interface ReadsAhead {
  /** The champion to compare against (the gate's baseline). */
  baseline?: () => Promise<GateBaseline | undefined>;
  /** The look at the job before deploying: fails (COMPLETION_DOUBTED) when it may still train. */
  trainingEnded?: () => Promise<void>;
  /** The champion is read by the candidate's claim, which tells it here (then `baseline` gives it). */
  championWithClaim?: ChampionWithClaim;
}

/** The slot whose champion the claim reads, and where the claim tells what it read. */
export interface ChampionWithClaim {
  slot: string;
  seen(champion: SlotDeployment | undefined): void;
}

/**
 * Starts the reads that do not depend on the candidate. The look before deploying is read ahead only
 * when nothing is awaited between the claim and the deploy (no approval): it stays right before it.
 */
export function readAhead(spec: PipelineSpec, jobId: string, status: PipelineStatus): ReadsAhead {
  if (!readsAheadOfTheClaim()) return {};
  const comparesWithChampion =
    !spec.gate.servingModelId && usesServingSlot() && spec.gate.compareWithChampion !== false;
  const withClaim = comparesWithChampion && readsChampionWithTheClaim() ? claimsChampion(spec, status) : {};
  return {
    ...withClaim,
    ...(comparesWithChampion && !withClaim.baseline
      ? { baseline: started(() => championBaseline(spec, status)) }
      : {}),
    ...(!spec.gate.approval?.required && looksBeforeDeploy()
      ? { trainingEnded: started(() => requireTrainingEnded(jobId, status.provider)) }
      : {}),
  };
}

/** A read running now; its failure is held (never an unhandled rejection) and thrown where it is awaited. */
function started<T>(read: () => Promise<T>): () => Promise<T> {
  const settled = read().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const outcome = await settled;
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  };
}

/** The baseline from the champion the claim read (its last pass: the claim may choose again). */
function claimsChampion(spec: PipelineSpec, status: PipelineStatus): ReadsAhead {
  let champion: SlotDeployment | undefined;
  return {
    championWithClaim: { slot: spec.name, seen: (read) => void (champion = read) },
    baseline: async () => championBaselineOf(spec, status, champion),
  };
}
