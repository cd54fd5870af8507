import type { SandboxState, SimJob } from './state';

/** What a lie needs to know of the job it may be about. */
interface LieSubject {
  name: string;
  /** The job trains now (TensorOne `running`, Marqtune `Training`). */
  training: boolean;
  /** The epoch it trains: the epochs done plus one. */
  trainingEpoch: number;
}

/**
 * The status to answer instead of the job's own (`statusLie`), counting the lie down, or undefined.
 * Only a job that trains is lied about: the lie is a "completed" (or other end) it has not reached.
 */
export function liedStatus(state: SandboxState, job: LieSubject): string | undefined {
  const lie = state.faults.statusLie;
  if (
    !lie ||
    lie.looks <= 0 ||
    !job.training ||
    job.trainingEpoch < lie.atEpoch ||
    !job.name.includes(lie.jobNameContains)
  )
    return undefined;
  lie.looks -= 1;
  state.countFault('statusLie');
  return lie.status;
}

/** A TensorOne job as a lie sees it. */
export function lieSubject(job: SimJob): LieSubject {
  return { name: job.name, training: job.status === 'running', trainingEpoch: job.completedEpochs + 1 };
}
