import type { PipelineSpec } from '../../domain/pipeline-input';
import type { GateBaseline } from '../../decisions/gate';
import type { PipelineStatus } from './contract';
import { requireTrainingEnded } from './believe';
import { heldRead } from '../held-read';
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
      ? { baseline: heldRead(() => championBaseline(spec, status)) }
      : {}),
    ...(!spec.gate.approval?.required && looksBeforeDeploy()
      ? { trainingEnded: heldRead(() => requireTrainingEnded(jobId, status.provider)) }
      : {}),
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
