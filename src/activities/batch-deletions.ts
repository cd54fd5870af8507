import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { afterProgress, type DeleteOutcome } from './failures';

/** One batch of a cleanup's granted deletions, deleted in one activity. */
export interface DeleteBatchInput {
  checkpointIds: string[];
  /** Deletions in flight at once inside the activity (1 to 32; default 8). */
  concurrency?: number;
  /**
   * Carried in every heartbeat as `leased` (a leased batch's grant, see leaseAndDeleteCheckpoints): set
   * only when called inside that activity, never an activity's own input.
   */
  leased?: string[];
}

/**
 * `alreadyGone`: the first attempt was answered 404, someone else deleted it. `answerLost`: a retried
 * attempt was answered 404, an earlier attempt (whose heartbeat did not record it) deleted it.
 */
export interface BatchDeletionOutcome {
  checkpointId: string;
  alreadyGone: boolean;
  answerLost?: boolean;
}

/**
 * Heartbeat details: the ids this batch has finished, by outcome. A retried attempt starts from them, so
 * it never deletes or counts anything twice; what finished after the last heartbeat reached the server
 * answers 404 on the retry and is counted once, as this run's deletion whose answer was lost.
 */
export interface BatchDeletionProgress {
  deleted: string[];
  alreadyGone: string[];
  answerLost?: string[];
  /** What the registry granted this batch's attempts so far (leaseAndDeleteCheckpoints only). */
  leased?: string[];
}

type Finished = 'deleted' | 'alreadyGone' | 'answerLost';

function finished(outcome: DeleteOutcome): Finished {
  if (outcome.alreadyGone) return 'alreadyGone';
  return outcome.answerLost ? 'answerLost' : 'deleted';
}

/** Beats even while every request in flight hangs (the HTTP client gives up after 30 s). */
const HEARTBEAT_EVERY_MS = 2000;

/**
 * Deletes a batch with at most `concurrency` deletions in flight, heartbeating its progress. Each id is
 * asked once per attempt. A retryable failure of one id (a 5xx, a reset) does not hold up the others:
 * the attempt goes on with the rest, then fails with the first such failure, and the next attempt —
 * when Temporal's retry policy says — resumes from the heartbeat with only what failed. A failure that
 * concerns every request (non-retryable, or a 429 with its Retry-After) stops new deletions at once. A
 * cancellation ends the batch the same way.
 */
export async function deleteBatchResumably(
  input: DeleteBatchInput,
  remove: (checkpointId: string) => Promise<DeleteOutcome>,
): Promise<{ outcomes: BatchDeletionOutcome[] }> {
  const ctx = Context.current();
  const carried = ctx.info.heartbeatDetails as BatchDeletionProgress | undefined;
  const done = new Map<string, Finished>();
  for (const id of carried?.deleted ?? []) done.set(id, 'deleted');
  for (const id of carried?.alreadyGone ?? []) done.set(id, 'alreadyGone');
  for (const id of carried?.answerLost ?? []) done.set(id, 'answerLost');
  const todo = [...new Set(input.checkpointIds)].filter((id) => !done.has(id));

  const progress = (): BatchDeletionProgress => {
    const p: Required<Omit<BatchDeletionProgress, 'leased'>> = {
      deleted: [],
      alreadyGone: [],
      answerLost: [],
    };
    for (const [id, how] of done) p[how].push(id);
    return input.leased ? { ...p, leased: input.leased } : p;
  };
  const beat = () => ctx.heartbeat(progress());
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let next = 0;
  let deletedNow = 0;
  const lane = async () => {
    while (!stopped && !ctx.cancellationSignal.aborted && next < todo.length) {
      const id = todo[next++];
      try {
        done.set(id, finished(await remove(id)));
        deletedNow++;
        beat(); // the SDK sends at most one per throttle interval; the latest is what a retry gets
      } catch (error) {
        failure ??= { error };
        if (concernsEveryRequest(error)) stopped = true;
      }
    }
  };
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  try {
    beat();
    const lanes = Math.max(1, Math.min(input.concurrency ?? 8, 32, todo.length));
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    clearInterval(timer);
  }
  if (failure || ctx.cancellationSignal.aborted) {
    beat(); // flushed with the failure: the retry resumes from here
    if (failure) throw deletedNow > 0 ? afterProgress(failure.error) : failure.error;
    await ctx.cancelled; // rethrows the cancellation
  }
  return {
    outcomes: input.checkpointIds.map((checkpointId) => {
      const how = done.get(checkpointId);
      return how === 'answerLost'
        ? { checkpointId, alreadyGone: false, answerLost: true }
        : { checkpointId, alreadyGone: how === 'alreadyGone' };
    }),
  };
}

/** A refusal no retry of this id alone would fix, or the provider asking everyone to wait (429). */
function concernsEveryRequest(error: unknown): boolean {
  return !(error instanceof ApplicationFailure) || error.nonRetryable || error.nextRetryDelay !== undefined;
}
