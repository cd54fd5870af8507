/**
 * When an operator's command to a running pipeline is refused, and what an accepted one does. Pure: the
 * pipeline's update validators ask these with what the workflow knows, the answers reach the CLI.
 */

/** Phases a pipeline ends in or is ending through: nothing left to cancel. */
const ENDING_PHASES = new Set(['completed', 'cancelled', 'failed']);

/** A checkpoint id as the providers show them: no spaces, slashes or controls (as `train.jobId`). */
const CHECKPOINT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export interface RecordedDecision {
  approved: boolean;
  by?: string;
  checkpointId?: string;
}

interface GateFacts {
  phase: string;
  /** The candidate the gate waits on (the one `status` shows). */
  candidateId?: string;
  /** A decision the gate already took (this run's one decision). */
  decision?: RecordedDecision;
}

const decided = (d: RecordedDecision) =>
  `already ${d.approved ? 'approved' : 'rejected'}${d.by ? ` by ${d.by}` : ''}${d.checkpointId ? ` (${d.checkpointId})` : ''}`;

/**
 * Why an approve/reject naming `checkpointId` is refused, or undefined when the gate takes it: only
 * while it awaits approval, only the first decision, and only for the candidate it waits on.
 */
export function decisionRefusal(gate: GateFacts, checkpointId: string | undefined): string | undefined {
  if (gate.decision) return decided(gate.decision);
  if (gate.phase !== 'awaiting-approval')
    return `not awaiting approval (phase: ${gate.phase}${gate.candidateId ? `, candidate ${gate.candidateId}` : ''})`;
  if (!checkpointId) return `name the candidate you approve or reject: it is ${gate.candidateId}`;
  if (checkpointId !== gate.candidateId)
    return `stale candidate: you named ${checkpointId}, the pipeline awaits approval of ${gate.candidateId}`;
  return undefined;
}

/** What the pipeline does after a decision, for the operator's answer. */
export function afterDecision(approved: boolean, candidateId: string): string {
  return approved
    ? `deploying ${candidateId}`
    : `not deploying ${candidateId}: the pipeline ends rejected and stops what it started`;
}

interface PinFacts {
  phase: string;
  jobId?: string;
  pinned: readonly string[];
  /** Checkpoints this pipeline's cleanup deleted. */
  deleted: ReadonlySet<string>;
  /** Every checkpoint of the job, when the pipeline listed them all (after choosing its candidate). */
  listed?: ReadonlySet<string>;
}

/** Why pinning is refused from what the workflow knows; undefined: take it (maybe asking the provider). */
export function pinRefusal(facts: PinFacts, checkpointId: string): string | undefined {
  if (!CHECKPOINT_ID.test(checkpointId))
    return `"${checkpointId}" is not a checkpoint id (up to 128 letters, digits, "_", ".", ":" or "-")`;
  if (facts.pinned.includes(checkpointId)) return undefined; // answered "already pinned"
  // Starting or training without a job id: its create is in flight, and the pin waits for its answer.
  if (!facts.jobId && facts.phase !== 'starting' && facts.phase !== 'training')
    return 'the pipeline has no training job: there is no checkpoint to pin';
  if (facts.deleted.has(checkpointId))
    return `checkpoint ${checkpointId} was deleted by this pipeline's cleanup`;
  if (facts.listed && !facts.listed.has(checkpointId))
    return `checkpoint ${checkpointId} is not one of the ${facts.listed.size} checkpoints of job ${facts.jobId}`;
  return undefined;
}

export function unpinRefusal(pinned: readonly string[], checkpointId: string): string | undefined {
  return pinned.includes(checkpointId)
    ? undefined
    : `checkpoint ${checkpointId} is not pinned in this pipeline${pinned.length ? ` (pinned: ${pinned.join(', ')})` : ''}`;
}

export function cancelRefusal(phase: string, alreadyRequested: boolean): string | undefined {
  if (alreadyRequested || ENDING_PHASES.has(phase))
    return `already ending (phase: ${phase}${alreadyRequested && !ENDING_PHASES.has(phase) ? ', cancel requested' : ''})`;
  return undefined;
}

interface CancelFacts {
  phase: string;
  jobId?: string;
  deployment?: { id: string; target?: string };
}

/** The delete route a deployment's removal needs: assumed for every target (the documents list none). */
const DELETE_ROUTE: Record<string, string> = {
  'tensorone-endpoint': 'DELETE /v2/endpoints/:endpointId',
  'tensorone-registry': 'DELETE /v2/endpoints/:endpointId',
  tensormesh: 'DELETE /v1/models/:modelId',
};

/**
 * A deployment's removal is promised only as far as the provider allows it: no document lists a delete
 * route, and where there is none the deployment is left running and named for removal by hand.
 */
function removal(deployment: string, target?: string): string {
  const route = (target && DELETE_ROUTE[target]) ?? 'a delete route';
  return `${deployment} is removed where the provider offers ${route} (its documents list none); otherwise it is left running and the result and status name it for removal by hand`;
}

/** What a cancel stops or removes, by phase, for the operator's answer. Checkpoints are never removed. */
export function cancelEffects(f: CancelFacts): string[] {
  const job = f.jobId ? `training job ${f.jobId}` : 'the training job';
  const deployment = f.deployment ? `deployment ${f.deployment.id}` : 'the deployment being created';
  switch (f.phase) {
    case 'starting':
      return ['no training starts: a job already being created is stopped with a saved checkpoint'];
    case 'awaiting-budget':
      return ['the wait for the fleet budget ends: no training job is created'];
    case 'training':
      return [`${job} stops with a saved checkpoint`, 'nothing is deployed'];
    case 'awaiting-approval':
      return ['the approval wait ends', `nothing is deployed; ${job} has already ended`];
    case 'comparing':
    case 'gating':
      return [`nothing is deployed; ${job} has already ended`];
    case 'deploying':
    case 'smoke-testing':
    case 'probing':
      return [removal(deployment, f.deployment?.target), 'checkpoints are kept'];
    case 'cleaning-up':
      return [`checkpoint cleanup stops`, `${deployment} passed its smoke test and keeps serving`];
    default:
      return [];
  }
}
