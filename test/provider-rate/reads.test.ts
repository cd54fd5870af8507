import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  ApplicationFailureCategory,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { asReadFailure } from '../../src/provider-rate/reads';
import { jobSweeps } from '../../src/activities/job-sweep';
import type { TrainingJob } from '../../src/domain/types';
import {
  watchActivities,
  type BetweenLooks,
  type WatchInput,
  type WatchOutcome,
} from '../../src/activities/watch';
import { runActivityResuming, runningJobWatch } from '../harness/activity-env';
import { waitAtMost } from '../../src/activities/wait-at-most';

describe('a read made through the provider queue fails the look as a direct read would', () => {
  it("the provider's classified refusal comes back as itself: its type and that it is not retryable", () => {
    const refusal = ApplicationFailure.nonRetryable('no such route', 'CAPABILITY_ABSENT');
    const failed = new WorkflowFailedError(
      'Workflow execution failed',
      new ActivityFailure(
        'activity failed',
        'listTrainingJobs',
        '1',
        RetryState.NON_RETRYABLE_FAILURE,
        'w',
        refusal,
      ),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(asReadFailure(failed)).toBe(refusal);
  });

  it('a read the queue did not answer in time is a retryable failure that says so', () => {
    const failed = new WorkflowFailedError(
      'Workflow execution timed out',
      new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE),
      RetryState.TIMEOUT,
    );
    const read = asReadFailure(failed) as ApplicationFailure;
    expect(read).toBeInstanceOf(ApplicationFailure);
    expect(read.type).toBe('PROVIDER_QUEUE_UNANSWERED');
    expect(read.nonRetryable).toBe(false);
    expect(read.message).toMatch(/did not answer within 2m/);
  });

  it('anything else (the client could not reach Temporal) is handed on unchanged', () => {
    const other = new Error('connection refused');
    expect(asReadFailure(other)).toBe(other);
  });
});

describe('behind a rate limit a look waits for the sweep at most lookWaitsMs; the sweep goes on', () => {
  it('the first look ends as a benign poll, the next one gets the same sweep: one request per page', async () => {
    const asked: number[] = [];
    const job = { id: 'job_1', status: 'running' } as TrainingJob;
    const sweeps = jobSweeps(
      async (query) => {
        asked.push(query.offset ?? 0);
        await new Promise((r) => setTimeout(r, 300));
        return { jobs: [job], hasMore: false };
      },
      { lookWaitsMs: 100 },
    );
    await expect(sweeps.fresh(1_000, 60_000, 'running')).rejects.toMatchObject({
      type: 'PROVIDER_QUEUE_BUSY',
      nonRetryable: false,
      category: ApplicationFailureCategory.BENIGN,
    });
    await new Promise((r) => setTimeout(r, 300));
    const sweep = await sweeps.fresh(1_500, 60_000, 'running');
    expect([...sweep.jobs.keys()]).toEqual(['job_1']);
    expect(sweep.takenAtMs).toBe(1_000);
    expect(asked).toEqual([0]);
  });

  it('without a limit a look waits for the sweep however long it takes', async () => {
    const sweeps = jobSweeps(async () => {
      await new Promise((r) => setTimeout(r, 150));
      return { jobs: [], hasMore: false };
    });
    await expect(sweeps.fresh(1_000, 60_000)).resolves.toMatchObject({ takenAtMs: 1_000 });
  });
});

describe('a look queued behind the rate limit is not a failed look', () => {
  it("does not bring a malformed answer's last try nearer: failedLooks is carried unchanged", async () => {
    const slowSweeps = jobSweeps(() => new Promise(() => undefined), { lookWaitsMs: 50 });
    const { watchTrainingJob } = watchActivities({
      getJob: {
        tensorone: () => Promise.reject(new Error('not read')),
        marqtune: () => Promise.reject(new Error('-')),
      },
      sweeps: slowSweeps,
    });
    const nowMs = Date.now();
    const before: BetweenLooks = {
      stall: { lastProgressAtMs: nowMs },
      looks: 3,
      nextLookAtMs: nowMs,
      failedLooks: 4,
    };
    const look = await runActivityResuming<[WatchInput], WatchOutcome>(
      { workflowId: 'queued-look', attempt: 5, heartbeatDetails: before },
      watchTrainingJob,
      runningJobWatch('job_queued', nowMs),
    );
    expect(look.error).toMatchObject({ type: 'PROVIDER_QUEUE_BUSY' });
    expect(look.heartbeats.at(-1)).toMatchObject({ failedLooks: 4, looks: 3 });
  });
});

describe("a look waits for queued reads at most lookWaitsMs in all, inside the watch's start-to-close", () => {
  it('a sweep that comes late without the job, then its own queued read: the look ends at the budget, not after both waits', async () => {
    const budgetMs = 2_000;
    // The sweep comes after 1.5 s of the look's 2 s and does not list the job (it has just ended, say);
    // the job's own read is queued behind the limit and does not come in time.
    const sweeps = jobSweeps(
      async () => {
        await new Promise((r) => setTimeout(r, 1_500));
        return { jobs: [], hasMore: false };
      },
      { lookWaitsMs: budgetMs },
    );
    const { watchTrainingJob } = watchActivities({
      // As readsAtProviderRate's getJob: a read through the provider queue, waited for at most the budget.
      getJob: {
        tensorone: (id) => waitAtMost(new Promise<TrainingJob>(() => undefined), budgetMs, `job ${id}`),
        marqtune: () => Promise.reject(new Error('-')),
      },
      sweeps,
    });
    const nowMs = Date.now();
    const startedAt = performance.now();
    const look = await runActivityResuming<[WatchInput], WatchOutcome>(
      { workflowId: 'late-sweep-then-queued-read', attempt: 3 },
      watchTrainingJob,
      runningJobWatch('job_ended', nowMs),
    );
    const tookMs = performance.now() - startedAt;
    expect(look.error).toMatchObject({ type: 'PROVIDER_QUEUE_BUSY' });
    // Both waits in full would be 1.5 + 2 s: with the production budget (20 s) that is past the watch's
    // 30-second start-to-close, a timed-out attempt instead of a poll.
    expect(tookMs).toBeGreaterThanOrEqual(budgetMs - 50);
    expect(tookMs).toBeLessThan(budgetMs + 1_000);
  });

  it('each look has its own budget: the next attempt waits again', async () => {
    const never = new Promise<never>(() => undefined);
    const first = await runActivityResuming({ workflowId: 'budget-per-attempt', attempt: 1 }, () =>
      waitAtMost(never, 300, 'a read'),
    );
    const startedAt = performance.now();
    const second = await runActivityResuming({ workflowId: 'budget-per-attempt', attempt: 2 }, () =>
      waitAtMost(never, 300, 'a read'),
    );
    expect(first.error).toMatchObject({ type: 'PROVIDER_QUEUE_BUSY' });
    expect(second.error).toMatchObject({ type: 'PROVIDER_QUEUE_BUSY' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250);
  });
});
