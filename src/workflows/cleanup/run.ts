import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import { provider, workerSettings } from '../activity-stubs';
import type { CleanupCarry, CleanupInput, CleanupResult } from './contract';
import {
  asksRateLimitsLocally,
  asksSharedProtectedSet,
  batchesDeletions,
  holdsDeletionsToProviderRate,
  leasesDeletions,
  leasesWithDeletions,
  listsWithProtectedSet,
} from './patches';

const DEFAULT_HISTORY_EVENT_LIMIT = 8000;

/** How this run deletes: its settings, and which released changes it was started under. */
export interface CleanupMode {
  dryRun: boolean;
  maxDeletes: number;
  concurrency: number;
  /** Asks the shared protected set per job (otherwise: the endpoint list, once). */
  shared: boolean;
  /** Asks a job's first listing together with its shared protected set. */
  listsWithProtectedSet: boolean;
  /** Leases each deletion from the protection registry first. */
  leased: boolean;
  /** A heartbeating batch leases, deletes and (the job's last) releases in one activity. */
  leasesWithDeletions: boolean;
  /** Deletes in heartbeating batches (otherwise: one activity per checkpoint). */
  batched: boolean;
  /** Deletes each batch in a child held to the provider's rate limit. */
  atProviderRate: boolean;
}

/** What carries over a continue-as-new, with the counts runs before them did not carry filled in. */
export type RunCarry = CleanupCarry &
  Required<Pick<CleanupCarry, 'deletedCount' | 'bytesReclaimed' | 'keptInDoubt' | 'spared'>>;

/** One run of a cleanup: what it was asked, the jobs it goes through, and what it did so far. */
export interface CleanupRun {
  input: CleanupInput;
  jobIds: string[];
  mode: CleanupMode;
  carry: RunCarry;
  /** Checkpoints kept in every job besides the shared protected set. */
  givenIds: string[];
  /** Deletion children this run started (their ids are unique per run and batch). */
  batchesStarted: number;
  /** Until a pipeline's cleanup is told its deployment serves: answers the pins made meanwhile. */
  goAhead?: () => Promise<string[]>;
}

/** The mode, asking each patch in the order the released versions did (replay depends on it). */
export async function cleanupMode(input: CleanupInput): Promise<CleanupMode> {
  const dryRun = input.dryRun ?? false;
  const maxDeletes = input.maxDeletes ?? 1000;
  const concurrency = Math.max(1, Math.min(input.concurrency ?? 8, 32));
  const shared = asksSharedProtectedSet();
  const leased = !dryRun && leasesDeletions();
  const batched = !dryRun && batchesDeletions();
  const heldToRate = batched && holdsDeletionsToProviderRate();
  // Decided before the local activity below: code after a local activity's answer may run a workflow
  // task later than the answer is recorded, and a patch first asked there can replay differently.
  const listsAhead = shared && listsWithProtectedSet();
  const leasesInBatch = leased && batched && leasesWithDeletions();
  const atProviderRate = heldToRate && (await providerRateLimits()).tensorone !== undefined;
  return {
    dryRun,
    maxDeletes,
    concurrency,
    shared,
    listsWithProtectedSet: listsAhead,
    leased,
    leasesWithDeletions: leasesInBatch && !atProviderRate,
    batched,
    atProviderRate,
  };
}

/** The worker fleet's provider rate limits (see `asksRateLimitsLocally`). */
function providerRateLimits() {
  return asksRateLimitsLocally() ? workerSettings.providerRateLimits() : provider.providerRateLimits();
}

/** The carry of the run before (one more run), or a fresh one. */
export function carriedOver(carried: CleanupCarry | undefined): RunCarry {
  const carry: CleanupCarry = carried
    ? { ...carried, runs: carried.runs + 1 }
    : { jobsDone: [], deleted: [], deletedCount: 0, bytesReclaimed: 0, examined: 0, kept: 0, runs: 1 };
  return {
    ...carry,
    deletedCount: carry.deletedCount ?? carry.deleted.length,
    bytesReclaimed: carry.bytesReclaimed ?? carry.deleted.reduce((s, d) => s + d.bytes, 0),
    keptInDoubt: carry.keptInDoubt ?? [],
    spared: carry.spared ?? [],
  };
}

/**
 * Continues as new once the history is long: the next run lists the job again, and what this run
 * deleted is gone from the provider by then.
 */
export async function continueIfHistoryLong(run: CleanupRun): Promise<void> {
  const info = workflowInfo();
  const limit = run.input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  if (!info.continueAsNewSuggested && info.historyLength < limit) return;
  await continueAsNew<(input: CleanupInput) => Promise<CleanupResult>>({
    ...run.input,
    jobIds: run.jobIds,
    carried: run.carry,
  });
}
