import type { PipelineSpec } from '../domain/pipeline-input';
import type { ServedModelRequest } from '../domain/tensormesh';

/**
 * A serving slot: what serves a pipeline's name (the champion), what served before it and may be put
 * back until it is retired (draining), and what happened. Pure rules; the `servingSlot` workflow
 * holds the state and applies them one message at a time, so two promotions never both win.
 */

/** A deploy target a pipeline file can name (`deploy.target`). */
export type DeploymentTarget = PipelineSpec['deploy']['target'];

/** One deployment that serves (or served) the slot. */
export interface SlotDeployment {
  target: DeploymentTarget;
  deploymentId: string;
  /** The registry model a `tensorone-registry` deployment serves. */
  modelId?: string;
  checkpointId: string;
  jobId: string;
  /** The pipeline run that deployed and promoted it. */
  workflowId: string;
  runId: string;
  /** The metric it was chosen on, so the next run's gate can compare against it. */
  metric?: { name: string; value: number };
  /** When it became the champion. */
  since: string;
  /** How to ask it for an answer: a rollback to it checks that it answers first. */
  smoke?: SlotSmokeRequest;
}

/**
 * The request its pipeline smoke-tested it with: a TensorOne runsync `input`, or a TensorMesh
 * `prompt` with the served model's own address and name (from the create answer: without a read
 * route nothing else knows them).
 */
export interface SlotSmokeRequest {
  input?: Record<string, unknown>;
  prompt?: string;
  endpoint?: string;
  modelName?: string;
  /** The served model's request when its pipeline file set one (`deploy.smokeRequest`). */
  request?: ServedModelRequest;
}

export interface DrainingDeployment extends SlotDeployment {
  /** When it is retired unless rolled back to first. */
  retireAt: string;
}

export interface RetiredDeployment extends SlotDeployment {
  retiredAt: string;
  /** `removed`: deleted through the API; `remove-by-hand`: the provider offers no route to delete it. */
  outcome: 'removed' | 'already-gone' | 'remove-by-hand';
  note?: string;
}

export interface SlotEvent {
  at: string;
  kind: 'promoted' | 'rolled-back' | 'retired';
  deploymentId: string;
  /** Who or what asked (a pipeline run, an operator). */
  by?: string;
  detail?: string;
}

export interface SlotState {
  name: string;
  champion?: SlotDeployment;
  /** Former champions still deployed: the newest is the rollback target. */
  draining: DrainingDeployment[];
  /** Retired deployments waiting to be removed by the workflow (a retirement in flight). */
  retiring: SlotDeployment[];
  /** The last retirements, newest last (bounded). */
  retired: RetiredDeployment[];
  /** The last events, newest last (bounded). */
  history: SlotEvent[];
}

/** What the slot keeps of its past: enough for an operator, bounded for the workflow's history. */
export const SLOT_HISTORY_LIMIT = 50;

export function emptySlot(name: string): SlotState {
  return { name, draining: [], retiring: [], retired: [], history: [] };
}

export interface PromoteRequest {
  deployment: Omit<SlotDeployment, 'since'>;
  /** How long the former champion drains before it is retired (milliseconds). */
  retireAfterMs: number;
}

export interface PromoteAnswer {
  /** The deployment now serving the slot (the promoted one). */
  champion: SlotDeployment;
  /** The former champion, now draining, and when it is retired. */
  previous?: DrainingDeployment;
  /** True when this exact promotion had already happened (a retried request): nothing changed. */
  alreadyPromoted: boolean;
}

const bounded = <T>(list: T[]): T[] => list.slice(-SLOT_HISTORY_LIMIT);

/** Why a promotion cannot apply; undefined when it can (a repeat of the last promotion can: it is answered again). */
export function promoteRefusal(state: SlotState, request: PromoteRequest): string | undefined {
  const d = request.deployment;
  if (!d.deploymentId || !d.workflowId || !d.runId)
    return 'a promotion must name the deployment and the pipeline run that made it';
  if (!Number.isFinite(request.retireAfterMs) || request.retireAfterMs < 0)
    return 'retireAfterMs must be a duration of 0 or more';
  // A retried promotion that arrives after a rollback must not bring back what is being deleted.
  if ([...state.retiring, ...state.retired].some((r) => r.deploymentId === d.deploymentId))
    return `deployment ${d.deploymentId} was retired already; deploy anew to serve it again`;
  return undefined;
}

/**
 * The challenger becomes the champion; the champion drains until `now + retireAfter`; a deployment
 * already draining is superseded and retired now (only the newest former champion can be rolled back
 * to). Promoting the champion again is answered as before: a retried promotion changes nothing.
 */
export function promote(
  state: SlotState,
  request: PromoteRequest,
  nowMs: number,
): { state: SlotState; answer: PromoteAnswer } {
  const at = new Date(nowMs).toISOString();
  const d = request.deployment;
  if (state.champion?.deploymentId === d.deploymentId) {
    return {
      state,
      answer: { champion: state.champion, previous: state.draining.at(-1), alreadyPromoted: true },
    };
  }
  const champion: SlotDeployment = { ...d, since: at };
  // A promotion of one of the draining deployments (an odd but possible request): it leaves the drain.
  const others = state.draining.filter((x) => x.deploymentId !== d.deploymentId);
  const previous = state.champion
    ? { ...state.champion, retireAt: new Date(nowMs + request.retireAfterMs).toISOString() }
    : undefined;
  const next: SlotState = {
    ...state,
    champion,
    draining: previous ? [previous] : [],
    retiring: [...state.retiring, ...others.map(stripRetireAt)],
    history: bounded([
      ...state.history,
      {
        at,
        kind: 'promoted',
        deploymentId: d.deploymentId,
        by: d.workflowId,
        detail: `checkpoint ${d.checkpointId} of job ${d.jobId}${previous ? `; ${previous.deploymentId} drains until ${previous.retireAt}` : ''}`,
      },
    ]),
  };
  return { state: next, answer: { champion, previous, alreadyPromoted: false } };
}

export interface RollbackAnswer {
  /** The deployment serving again. */
  restored: SlotDeployment;
  /** The deployment it replaced, retired now. */
  retiring: SlotDeployment;
}

/** Why a rollback cannot apply now, naming what would make it possible; undefined when it can. */
export function rollbackRefusal(state: SlotState): string | undefined {
  if (!state.champion) return `slot ${state.name} serves nothing yet: there is nothing to roll back`;
  if (state.draining.length > 0) return undefined;
  const retiring = state.retiring.at(-1);
  if (retiring)
    return `the previous deployment ${retiring.deploymentId} is being retired: nothing to roll back to; deploy a new run instead`;
  const lastRetired = state.retired.at(-1);
  if (lastRetired)
    return `the previous deployment ${lastRetired.deploymentId} was retired at ${lastRetired.retiredAt} (${lastRetired.outcome}): nothing to roll back to; deploy a new run instead`;
  return `slot ${state.name} has had one deployment only (${state.champion.deploymentId}): nothing to roll back to`;
}

/** What a status read of the former champion showed, just before a rollback to it. */
export type FormerStatusEvidence =
  | { read: 'serving' }
  | { read: 'not-serving'; status: string }
  | { read: 'gone'; why: string }
  /** No documented status route, a 404 that cannot be told from a missing route, or a failed read. */
  | { read: 'unknown'; why: string };

/** What its smoke request showed, just before a rollback to it. */
export type FormerSmokeEvidence =
  { smoke: 'answered' } | { smoke: 'failed'; why: string } | { smoke: 'not-asked'; why: string };

/**
 * Why a rollback to `former` must not switch: a slot that had a serving deployment keeps one, so the
 * former champion must be seen to answer first. Its smoke request is the evidence; without one, only
 * a status read that says "serving". Gone, not serving, or not shown to answer: refused.
 */
export function formerDeploymentRefusal(
  former: SlotDeployment,
  status: FormerStatusEvidence,
  smoke: FormerSmokeEvidence,
): string | undefined {
  const who = `the former deployment ${former.target} ${former.deploymentId}`;
  if (status.read === 'gone') return `${who} is gone at the provider (${status.why})`;
  if (status.read === 'not-serving') return `${who} is not serving (status: ${status.status})`;
  if (smoke.smoke === 'failed') return `${who} does not answer its smoke request (${smoke.why})`;
  if (smoke.smoke === 'answered') return undefined;
  if (status.read === 'serving') return undefined;
  return `cannot tell whether ${who} serves: ${status.why}; ${smoke.why}`;
}

/** The newest draining deployment serves again; the champion it replaces is retired at once. */
export function rollback(
  state: SlotState,
  nowMs: number,
  by?: string,
  reason?: string,
): { state: SlotState; answer: RollbackAnswer } {
  const refusal = rollbackRefusal(state);
  if (refusal) throw new Error(refusal);
  const at = new Date(nowMs).toISOString();
  const restoredDraining = state.draining.at(-1)!;
  const restored: SlotDeployment = { ...stripRetireAt(restoredDraining), since: at };
  const replaced = state.champion!;
  return {
    state: {
      ...state,
      champion: restored,
      draining: state.draining.slice(0, -1),
      retiring: [...state.retiring, replaced],
      history: bounded([
        ...state.history,
        {
          at,
          kind: 'rolled-back',
          deploymentId: restored.deploymentId,
          by,
          detail: `replaces ${replaced.deploymentId}${reason ? `: ${reason}` : ''}`,
        },
      ]),
    },
    answer: { restored, retiring: replaced },
  };
}

/** Draining deployments whose drain has ended move to `retiring` (the workflow then removes them). */
export function drainEnded(state: SlotState, nowMs: number): SlotState {
  const due = state.draining.filter((d) => Date.parse(d.retireAt) <= nowMs);
  if (due.length === 0) return state;
  return {
    ...state,
    draining: state.draining.filter((d) => Date.parse(d.retireAt) > nowMs),
    retiring: [...state.retiring, ...due.map(stripRetireAt)],
  };
}

/** The earliest moment a drain ends, or undefined when nothing drains. */
export function nextRetirementMs(state: SlotState): number | undefined {
  const times = state.draining.map((d) => Date.parse(d.retireAt));
  return times.length ? Math.min(...times) : undefined;
}

/** Records that a retiring deployment was removed (or must be removed by hand). */
export function retired(
  state: SlotState,
  deploymentId: string,
  outcome: RetiredDeployment['outcome'],
  nowMs: number,
  note?: string,
): SlotState {
  const d = state.retiring.find((x) => x.deploymentId === deploymentId);
  if (!d) return state;
  const at = new Date(nowMs).toISOString();
  return {
    ...state,
    retiring: state.retiring.filter((x) => x.deploymentId !== deploymentId),
    retired: bounded([...state.retired, { ...d, retiredAt: at, outcome, ...(note ? { note } : {}) }]),
    history: bounded([
      ...state.history,
      { at, kind: 'retired', deploymentId, detail: note ? `${outcome}: ${note}` : outcome },
    ]),
  };
}

/** Checkpoints the slot serves or may roll back to: no cleanup may delete them. */
export function slotCheckpoints(state: SlotState): string[] {
  return [...new Set([state.champion, ...state.draining].flatMap((d) => (d ? [d.checkpointId] : [])))];
}

function stripRetireAt(d: DrainingDeployment | SlotDeployment): SlotDeployment {
  const { retireAt: _retireAt, ...rest } = d as DrainingDeployment;
  return rest;
}
