import type { PipelineSpec } from '../../domain/pipeline-input';
import type { GateBaseline } from '../../decisions/gate';
import type { PipelineStatus } from './contract';
import { requireTrainingEnded } from './believe';
import { championBaseline } from './promote';
import { looksBeforeDeploy, readsAheadOfTheClaim, usesServingSlot } from './patches';

/** Reads started together with the candidate's listing, each awaited where the pipeline needs it. */
export interface ReadsAhead {
  /** The champion to compare against (the gate's baseline). */
  baseline?: () => Promise<GateBaseline | undefined>;
  /** The look at the job before deploying: fails (COMPLETION_DOUBTED) when it may still train. */
  trainingEnded?: () => Promise<void>;
}

/**
 * Starts the reads that do not depend on the candidate. The look before deploying is read ahead only
 * when nothing is awaited between the claim and the deploy (no approval): it stays right before it.
 */
export function readAhead(spec: PipelineSpec, jobId: string, status: PipelineStatus): ReadsAhead {
  if (!readsAheadOfTheClaim()) return {};
  const comparesWithChampion =
    !spec.gate.servingModelId && usesServingSlot() && spec.gate.compareWithChampion !== false;
  return {
    ...(comparesWithChampion ? { baseline: started(() => championBaseline(spec, status)) } : {}),
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
