/**
 * The orphan reconciler's rules: which provider resources are this project's (by their run-derived
 * name), and what to do with one given what its owning run is doing. Pure and deterministic: the
 * reconcile workflow and its tests call these directly.
 */
import type { DeploymentStatus } from '../domain/types';

/**
 * A resource name of this project's convention: `<workflowId>--r<run12>--<step>`, where the workflow
 * id is a pipeline's (`pipeline-<name>`), `<run12>` the first 12 hex digits of the run id and the step
 * one a pipeline creates (`train-<gpuType>`, `deploy`, or `deploy-a<n>` for a served model provisioned
 * by a retry that could not look up the first attempt's). Anything else is not ours and never touched.
 */
const RUN_OWNED_NAME =
  /^(pipeline-[a-z0-9][a-z0-9-]{0,62})--r([0-9a-f]{12})--(train-[A-Za-z0-9._-]+|deploy(?:-a[1-9][0-9]*)?)$/;

export interface RunOwnedName {
  workflowId: string;
  /** The first 12 hex digits of the owning run's id (dashes removed). */
  runPrefix: string;
  step: string;
}

export function parseRunOwnedName(name: string | undefined): RunOwnedName | undefined {
  if (!name) return undefined;
  const m = RUN_OWNED_NAME.exec(name);
  return m ? { workflowId: m[1], runPrefix: m[2], step: m[3] } : undefined;
}

/** Whether a run id (with or without dashes) is the run a name's 12-digit prefix names. */
export function runMatches(runId: string, runPrefix: string): boolean {
  return runId.replace(/-/g, '').toLowerCase().startsWith(runPrefix);
}

export type ReconcileKind = 'training-job' | 'endpoint' | 'registry-deployment' | 'served-model';

/** A provider resource carrying a run-owned name: small, so many fit in the workflow's history. */
export interface OwnedResource {
  kind: ReconcileKind;
  provider: 'tensorone' | 'tensormesh';
  id: string;
  name: string;
  /** The provider's status word, normalized (a job's or a deployment's). */
  status: string;
  createdAt?: string;
  /** The registry model a registry deployment serves. */
  modelId?: string;
}

/** What Temporal says of a resource's owning run. */
export type OwnerState =
  | { state: 'running' }
  | { state: 'closed'; status: string; closedAt?: string }
  /** No run of that workflow id with that run prefix exists (never did, or past retention, or a reset namespace). */
  | { state: 'absent' }
  /** Temporal could not be asked (visibility or describe failed): nothing is known. */
  | { state: 'unknown'; reason: string };

export type ReconcileAction = 'stop' | 'remove' | 'remove-by-hand' | 'keep';

export interface ReconcileVerdict {
  action: ReconcileAction;
  reason: string;
}

/** Job statuses that still hold (or may hold) GPUs: the ones a stop can end. */
const JOB_STILL_BILLING = new Set(['queued', 'pending', 'running', 'unknown']);
const DEPLOYMENT_GONE: ReadonlySet<string> = new Set<DeploymentStatus>(['deleted']);

export interface VerdictInput {
  resource: OwnedResource;
  owner: OwnerState;
  nowMs: number;
  /** How long the owner must have been closed (or, without an owner, the resource must have existed). */
  graceMs: number;
  /** The serving slot that serves this deployment, when one does. */
  servedBy?: string;
  /** The slot that could serve it could not be read: it may serve it. */
  slotUnreadable?: boolean;
  /** Whether the provider has a route to remove this kind of deployment (false: the operator removes it). */
  removable: boolean;
}

/**
 * Keep unless the owner is known to be gone for at least the grace: served by a slot (or slots
 * unreadable), owner unknown, running, closed or absent for less than the grace (or for an unknown
 * time), or a resource that already stopped billing. Otherwise a job is stopped (with a checkpoint)
 * and a deployment removed, or reported for removal by hand where no route removes it.
 */
export function reconcileVerdict(input: VerdictInput): ReconcileVerdict {
  const { resource, owner, nowMs, graceMs } = input;
  const isJob = resource.kind === 'training-job';
  if (!isJob && input.slotUnreadable) return keep('its serving slot could not be read: it may serve it');
  if (!isJob && input.servedBy) return keep(`serving slot ${input.servedBy} serves it`);
  if (owner.state === 'unknown') return keep(`its owner cannot be determined (${owner.reason})`);
  if (owner.state === 'running') return keep('its owner is running');
  const since = owner.state === 'closed' ? owner.closedAt : resource.createdAt;
  const sinceMs = since === undefined ? NaN : Date.parse(since);
  const what = owner.state === 'closed' ? `its owner closed (${owner.status})` : 'its owner is absent';
  if (!Number.isFinite(sinceMs) || !Number.isFinite(nowMs) || !Number.isFinite(graceMs) || graceMs < 0)
    return keep(
      `${what}, and ${owner.state === 'closed' ? 'when it closed' : 'how old the resource is'} is unknown`,
    );
  const elapsed = nowMs - sinceMs;
  if (elapsed < graceMs)
    return keep(
      `${what} ${formatAge(elapsed)} ${owner.state === 'closed' ? 'ago' : 'after its creation'}: within the grace of ${formatAge(graceMs)}`,
    );
  const gone = `${what} ${formatAge(elapsed)} ${owner.state === 'closed' ? 'ago' : 'since its creation'}, past the grace of ${formatAge(graceMs)}`;
  if (isJob) {
    if (!JOB_STILL_BILLING.has(resource.status))
      return keep(`${gone}; the job already ended (${resource.status})`);
    return { action: 'stop', reason: `${gone}: stop it, saving a checkpoint` };
  }
  if (DEPLOYMENT_GONE.has(resource.status)) return keep(`${gone}; already removed`);
  if (!input.removable)
    return { action: 'remove-by-hand', reason: `${gone}: the provider has no route to remove it` };
  return { action: 'remove', reason: `${gone}: remove it` };
}

function keep(reason: string): ReconcileVerdict {
  return { action: 'keep', reason };
}

function formatAge(ms: number): string {
  if (ms < 0) return `${Math.round(ms / 1000)}s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

/** One resource's line in the reconciler's result. */
export interface ReconcileEntry extends OwnedResource {
  owner: { workflowId: string; runPrefix: string; state: OwnerState['state'] };
  action: ReconcileAction;
  reason: string;
  /** What was done: absent on a dry run and for kept resources. */
  outcome?: 'stopped' | 'already ended' | 'removed' | 'already gone' | 'remove by hand' | 'failed';
  failure?: string;
}

export interface ReconcileInput {
  /** Decide and report only: nothing is stopped or removed. */
  dryRun: boolean;
  graceMs: number;
}

export interface ReconcileResult {
  dryRun: boolean;
  graceMs: number;
  /** Every run-owned resource seen and what became of it. */
  resources: ReconcileEntry[];
  /** Resources whose names are not of the convention, per kind: counted, never touched. */
  notOurs: number;
  /** What could not be seen because the provider has no route to list it: never read as "none exist". */
  unseen: { what: string; route: string }[];
  counts: Record<ReconcileAction, number>;
}

/** Whether the reconciler's input can be acted on: the message names the field. */
export function reconcileInputProblem(input: ReconcileInput): string | undefined {
  if (typeof input.dryRun !== 'boolean') return 'dryRun must be true or false';
  if (!Number.isFinite(input.graceMs) || input.graceMs < 60_000)
    return `graceMs must be a number of milliseconds of at least 60000, got ${String(input.graceMs)}`;
  return undefined;
}
