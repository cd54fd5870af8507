/**
 * Which checkpoints no cleanup may delete, from the system's own records (kept in Temporal by the
 * `checkpointProtection` workflow) and what the providers say is serving. Pure: the activity
 * `protectedCheckpoints` gathers the facts, this decides.
 */

/** Why a checkpoint is protected. */
export type ProtectionKind = 'candidate' | 'deployed' | 'pinned';

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

export interface ProtectionFacts {
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
    else if (r.kind === 'deployed')
      add(
        r.checkpointId,
        `deployed by ${r.workflowId} (${r.target ?? 'deployment'} ${r.deploymentId ?? ''})`.trim(),
      );
    else if (facts.runningHolders.has(holderKey(r)))
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
