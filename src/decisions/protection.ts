/**
 * Which checkpoints no cleanup may delete, from the system's own records (kept in Temporal by the
 * `checkpointProtection` workflow) and what the providers say is serving. Pure: the activity
 * `protectedCheckpoints` gathers the facts, this decides.
 */

/** Why a checkpoint is protected. */
type ProtectionKind = 'candidate' | 'deployed' | 'pinned';

/** One record a pipeline run wrote: its candidate, what it deployed, or a pin. */
export interface ProtectionRecord {
  checkpointId: string;
  kind: ProtectionKind;
  /** The pipeline run that wrote it. */
  workflowId: string;
  runId: string;
  /** For `deployed`: the deploy target and the deployment's id. */
  target?: string;
  deploymentId?: string;
  at: string;
}

/** What a pipeline asks to record; the activity adds the run and the time. */
export type ProtectionRequest = Pick<ProtectionRecord, 'checkpointId' | 'kind' | 'target' | 'deploymentId'>;

export interface ProtectedCheckpoint {
  checkpointId: string;
  reasons: string[];
}

interface ProtectionFacts {
  records: ProtectionRecord[];
  /** `workflowId/runId` of every candidate holder still running (gating, awaiting approval, deploying…). */
  runningHolders: ReadonlySet<string>;
  /** Checkpoints the provider's endpoint list says are served, when that (assumed) route answered. */
  endpointCheckpoints?: { checkpointId: string; endpointId: string }[];
  /** Checkpoints named by registry models that the registry says are deployed. */
  registryCheckpoints?: { checkpointId: string; modelId: string }[];
}

export const holderKey = (r: { workflowId: string; runId: string }) => `${r.workflowId}/${r.runId}`;

/**
 * Pins and deployments protect for good (a pin is global: it holds against every cleanup); a
 * candidate protects while the run that chose it is still running, i.e. until it is deployed (then a
 * `deployed` record holds it) or the run ended without deploying.
 */
export function protectedCheckpoints(facts: ProtectionFacts): ProtectedCheckpoint[] {
  const out = new Map<string, string[]>();
  const add = (id: string, reason: string) => {
    const reasons = out.get(id) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    out.set(id, reasons);
  };
  for (const r of facts.records) {
    if (r.kind === 'pinned') add(r.checkpointId, `pinned in ${r.workflowId}`);
    else if (r.kind === 'deployed') {
      // Records made before deployments were named carry neither target nor id.
      const what = [r.target, r.deploymentId].filter(Boolean).join(' ');
      add(r.checkpointId, `deployed by ${r.workflowId}${what ? ` (${what})` : ''}`);
    } else if (facts.runningHolders.has(holderKey(r)))
      add(r.checkpointId, `candidate of running ${r.workflowId}`);
  }
  for (const e of facts.endpointCheckpoints ?? []) add(e.checkpointId, `served by endpoint ${e.endpointId}`);
  for (const m of facts.registryCheckpoints ?? [])
    add(m.checkpointId, `named by deployed registry model ${m.modelId}`);
  return [...out].map(([checkpointId, reasons]) => ({ checkpointId, reasons }));
}

/** Candidate holders the registry may forget: their runs ended (a deployed record covers what they deployed). */
export function endedCandidateHolders(
  records: ProtectionRecord[],
  runningHolders: ReadonlySet<string>,
): { workflowId: string; runId: string }[] {
  const seen = new Map<string, { workflowId: string; runId: string }>();
  for (const r of records)
    if (r.kind === 'candidate' && !runningHolders.has(holderKey(r)))
      seen.set(holderKey(r), { workflowId: r.workflowId, runId: r.runId });
  return [...seen.values()];
}

/**
 * The checkpoint a TensorMesh `modelPath` serves, when it names one: `tensorone://checkpoints/<id>`
 * (the default) or any path with a `checkpoints/<id>` segment. A Hugging Face repo names none.
 */
export function checkpointInModelPath(modelPath: string): string | undefined {
  const m = /(?:^|\/)checkpoints\/([^/?#\s]+)/.exec(modelPath);
  return m?.[1];
}

/**
 * Drops the `deployed` records of deployments that no longer exist (a serving slot deleted them); pins,
 * candidates and other deployments' records — of the same checkpoint too — stay.
 */
export function releaseDeployed(records: ProtectionRecord[], deploymentIds: string[]): ProtectionRecord[] {
  const gone = new Set(deploymentIds);
  return records.filter(
    (r) => r.kind !== 'deployed' || r.deploymentId === undefined || !gone.has(r.deploymentId),
  );
}

/**
 * Drops the `candidate` records one run holds for these checkpoints (a sweep's losing trials, once the
 * sweep has named its winner); the run's other records, and other runs' records of the same
 * checkpoints, stay.
 */
export function releaseCandidates(
  records: ProtectionRecord[],
  release: { workflowId: string; runId: string; checkpointIds: string[] },
): ProtectionRecord[] {
  const released = new Set(release.checkpointIds);
  const holder = holderKey(release);
  return records.filter(
    (r) => r.kind !== 'candidate' || holderKey(r) !== holder || !released.has(r.checkpointId),
  );
}

/** Adds a record unless the same one (checkpoint, kind, run) is there: recording is idempotent. */
export function mergeRecords(current: ProtectionRecord[], added: ProtectionRecord[]): ProtectionRecord[] {
  const key = (r: ProtectionRecord) => `${r.kind}|${r.checkpointId}|${holderKey(r)}`;
  const have = new Set(current.map(key));
  const out = [...current];
  for (const r of added) {
    if (have.has(key(r))) continue;
    have.add(key(r));
    out.push(r);
  }
  return out;
}

// ---- deletion leases: a cleanup and a pipeline never both win the same checkpoint --------------------

/**
 * A cleanup's claim on checkpoints it is about to delete. The registry workflow grants leases and
 * records claims one message at a time, so "a cleanup deletes C" and "a pipeline holds C" cannot
 * both succeed: whichever reaches the registry first wins, the other is told.
 */
export interface DeletionLease {
  checkpointId: string;
  /** The cleanup run that holds it. */
  workflowId: string;
  runId: string;
  /** Workflow time after which the lease no longer holds (a cleanup that died mid-way). */
  untilMs: number;
  /**
   * The activity attempt it was granted to (a batch leased inside its deletion activity): a release
   * by an older attempt, still running after it timed out, leaves it to the attempt deleting now.
   */
  attempt?: number;
}

export interface LeaseRequest {
  workflowId: string;
  runId: string;
  checkpointIds: string[];
  /** `workflowId/runId` of candidate holders the cleanup found closed: their candidates no longer protect. */
  endedHolders: string[];
  untilMs: number;
  /** The asking activity's attempt. */
  attempt?: number;
}

/** A cleanup run done with its leases; with `upToAttempt`, only those granted to that attempt or before. */
export interface LeaseRelease {
  workflowId: string;
  runId: string;
  upToAttempt?: number;
}

export interface LeaseAnswer {
  granted: string[];
  refused: { checkpointId: string; reason: string }[];
}

export interface ClaimAnswer {
  /** Checkpoints recorded for the caller. */
  recorded: string[];
  /** Checkpoints a cleanup holds a deletion lease on: not recorded, they are on their way out. */
  beingDeleted: { checkpointId: string; by: string }[];
}

/** Leases still in force at `nowMs`. */
export function liveLeases(leases: DeletionLease[], nowMs: number): DeletionLease[] {
  return leases.filter((l) => l.untilMs > nowMs);
}

/** Why a record protects its checkpoint from a cleanup that found `endedHolders` closed; undefined when it does not. */
function protectsAgainstCleanup(r: ProtectionRecord, endedHolders: ReadonlySet<string>): string | undefined {
  if (r.kind === 'pinned') return `pinned in ${r.workflowId}`;
  if (r.kind === 'deployed') return `deployed by ${r.workflowId}`;
  // A holder the cleanup did not see ended — including one that recorded after the cleanup looked — is running.
  return endedHolders.has(holderKey(r)) ? undefined : `candidate of running ${r.workflowId}`;
}

/**
 * Grants deletion leases on what no record protects now, and refuses the rest naming why. A checkpoint
 * already leased to another cleanup is granted too: deleting twice is harmless (the second sees 404).
 */
export function grantDeletions(
  records: ProtectionRecord[],
  leases: DeletionLease[],
  request: LeaseRequest,
  nowMs: number,
): { answer: LeaseAnswer; leases: DeletionLease[] } {
  const ended = new Set(request.endedHolders);
  const why = new Map<string, string>();
  for (const r of records) {
    const reason = protectsAgainstCleanup(r, ended);
    if (reason && !why.has(r.checkpointId)) why.set(r.checkpointId, reason);
  }
  const answer: LeaseAnswer = { granted: [], refused: [] };
  for (const id of new Set(request.checkpointIds)) {
    const reason = why.get(id);
    if (reason) answer.refused.push({ checkpointId: id, reason });
    else answer.granted.push(id);
  }
  const holder = { workflowId: request.workflowId, runId: request.runId };
  const kept = liveLeases(leases, nowMs).filter(
    (l) => holderKey(l) !== holderKey(holder) || !answer.granted.includes(l.checkpointId),
  );
  const added = answer.granted.map((checkpointId) => ({
    checkpointId,
    ...holder,
    untilMs: request.untilMs,
    ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
  }));
  return { answer, leases: [...kept, ...added] };
}

/**
 * Records what a run asks to hold, except checkpoints a cleanup is deleting: those are named back, so
 * a pipeline chooses again and an operator's pin says it came too late.
 */
export function claimCheckpoints(
  records: ProtectionRecord[],
  leases: DeletionLease[],
  added: ProtectionRecord[],
  nowMs: number,
): { answer: ClaimAnswer; records: ProtectionRecord[] } {
  const leased = new Map(liveLeases(leases, nowMs).map((l) => [l.checkpointId, l.workflowId]));
  const accepted = added.filter((r) => !leased.has(r.checkpointId));
  const beingDeleted = [
    ...new Set(added.filter((r) => leased.has(r.checkpointId)).map((r) => r.checkpointId)),
  ].map((checkpointId) => ({ checkpointId, by: leased.get(checkpointId)! }));
  return {
    answer: { recorded: [...new Set(accepted.map((r) => r.checkpointId))], beingDeleted },
    records: mergeRecords(records, accepted),
  };
}

/**
 * Leases without those one cleanup held, in any of its runs (it continues as new): it finished with them.
 * A release up to an attempt leaves the leases a later attempt of the same batch was granted: an older
 * attempt that timed out and ran on never ends what the attempt deleting now holds.
 */
export function releaseLeases(
  leases: DeletionLease[],
  holder: Pick<LeaseRelease, 'workflowId' | 'upToAttempt'>,
): DeletionLease[] {
  const upTo = holder.upToAttempt;
  return leases.filter(
    (l) => l.workflowId !== holder.workflowId || (upTo !== undefined && (l.attempt ?? 0) > upTo),
  );
}

// ---- a registry started anew: rebuilt before it grants anything ----------------------------------

/**
 * While a registry that started without carried state rebuilds its records, it cannot know what is in
 * use: every lease is refused, naming why, so the cleanup keeps those checkpoints and says so.
 */
export function refuseWhileRebuilding(
  request: Pick<LeaseRequest, 'checkpointIds'>,
  why: string,
): LeaseAnswer {
  return {
    granted: [],
    refused: [...new Set(request.checkpointIds)].map((checkpointId) => ({ checkpointId, reason: why })),
  };
}

/** What a rebuild found: the records and leases of the runs before, and of the live workflows. */
export interface RebuiltProtection {
  records: ProtectionRecord[];
  leases: DeletionLease[];
  /** Where each part came from, for whoever asks the registry why it holds what it holds. */
  sources: string[];
}

/**
 * The rebuilt state joined with what reached the registry while it rebuilt: every record of both, the
 * leases still in force. Removals that arrived meanwhile (an unpin, a released deployment, a finished
 * cleanup) are applied again by the caller, since the rebuilt part predates them.
 */
export function joinRebuilt(
  current: { records: ProtectionRecord[]; leases: DeletionLease[] },
  rebuilt: Pick<RebuiltProtection, 'records' | 'leases'>,
  nowMs: number,
): { records: ProtectionRecord[]; leases: DeletionLease[] } {
  const key = (l: DeletionLease) => `${l.checkpointId}|${holderKey(l)}`;
  const leases = new Map<string, DeletionLease>();
  for (const l of liveLeases([...rebuilt.leases, ...current.leases], nowMs)) leases.set(key(l), l);
  return { records: mergeRecords(rebuilt.records, current.records), leases: [...leases.values()] };
}

/**
 * The records a running pipeline holds, from its status: its candidate while it runs, and its pins.
 * While its sweep runs, the best checkpoint of each trial that ended; once the sweep has named its
 * winner, that trial's only (the others were released).
 */
export function pipelineHolds(
  run: { workflowId: string; runId: string },
  status: {
    candidate?: { checkpointId: string };
    pinned?: string[];
    sweep?: { winner?: number; trials: { index: number; checkpointId?: string }[] };
  },
  at: string,
): ProtectionRecord[] {
  const out: ProtectionRecord[] = [];
  const candidates = new Set<string>();
  if (status.candidate) candidates.add(status.candidate.checkpointId);
  const sweep = status.sweep;
  for (const trial of sweep?.trials ?? [])
    if (trial.checkpointId && (sweep?.winner === undefined || sweep.winner === trial.index))
      candidates.add(trial.checkpointId);
  for (const checkpointId of candidates) out.push({ checkpointId, kind: 'candidate', ...run, at });
  for (const checkpointId of status.pinned ?? []) out.push({ checkpointId, kind: 'pinned', ...run, at });
  return out;
}

/** The `deployed` records of what a serving slot serves, drains or is still retiring, held by the runs that deployed them. */
export function slotHolds(
  deployments: {
    checkpointId?: string;
    deploymentId: string;
    target: string;
    workflowId: string;
    runId: string;
  }[],
  at: string,
): ProtectionRecord[] {
  return deployments.flatMap(({ checkpointId, deploymentId, target, workflowId, runId }) =>
    checkpointId
      ? [{ checkpointId, kind: 'deployed' as const, workflowId, runId, target, deploymentId, at }]
      : [],
  );
}

/**
 * Whether a failed checkpoint read says the checkpoint is gone: the provider answered 404 (the
 * classified failure's first detail). Any other failure is no answer at all: never read as "gone".
 */
export function saysCheckpointGone(failure: { details?: unknown[] | null } | undefined): boolean {
  const first = failure?.details?.[0] as { status?: number } | undefined;
  return first?.status === 404;
}
