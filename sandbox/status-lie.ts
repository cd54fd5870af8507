import type { SandboxState, SimJob } from './state';

/**
 * A status answered instead of a job's own on its next `looks` answers, job list and job GET alike:
 * the one mechanism behind the `statusLie` fault (configured) and the adversary's `statusFlip` (drawn
 * per job). Progress is the job's own either way.
 */
export interface StatusLie {
  status: string;
  /** Answers left to tell it on; counted down as they are sent. */
  looks: number;
  /**
   * Told only about a job that trains epoch `atEpoch` or later (the fault: a "completed" or other end
   * it has not reached). Without it (a flip drawn for one job) the lie goes on whatever the job does.
   */
  atEpoch?: number;
  /** Told only about jobs whose name contains this text (empty or absent: every job). */
  jobNameContains?: string;
}

/** What a lie needs to know of the job it may be about. */
export interface LieSubject {
  name: string;
  /** The job trains now (TensorOne `running`, Marqtune `Training`). */
  training: boolean;
  /** The epoch it trains: the epochs done plus one. */
  trainingEpoch: number;
}

/** The lie's status when it is told about this job now (one look counted down), else undefined. */
export function tellLie(lie: StatusLie | undefined, job: LieSubject): string | undefined {
  if (!lie || lie.looks <= 0) return undefined;
  if (lie.jobNameContains && !job.name.includes(lie.jobNameContains)) return undefined;
  if (lie.atEpoch !== undefined && (!job.training || job.trainingEpoch < lie.atEpoch)) return undefined;
  lie.looks -= 1;
  return lie.status;
}

/**
 * The status to answer instead of the job's own, or undefined: the `statusLie` fault when it is told
 * about this job, else (a TensorOne job, `route` given) the adversary's flip going on or drawn now.
 */
export function liedStatus(
  state: SandboxState,
  job: LieSubject,
  tensorone?: { job: SimJob; route: string },
): string | undefined {
  const lie = tellLie(state.faults.statusLie, job);
  if (lie !== undefined) {
    state.countFault('statusLie');
    return lie;
  }
  return tensorone && state.adversary?.statusOf(tensorone.job, job, tensorone.route);
}

/** A TensorOne job as a lie sees it. */
export function lieSubject(job: SimJob): LieSubject {
  return { name: job.name, training: job.status === 'running', trainingEpoch: job.completedEpochs + 1 };
}

/** The lie about a TensorOne job answered by this route, or undefined. */
export function liedJobStatus(state: SandboxState, job: SimJob, route: string): string | undefined {
  return liedStatus(state, lieSubject(job), { job, route });
}
