import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { MALFORMED_TRIES } from '../../src/activities/failures';
import { createActivities } from '../../src/activities';
import type { BetweenLooks, WatchInput, WatchOutcome } from '../../src/activities/watch';
import { runActivityResuming, runningJobWatch } from '../harness/activity-env';
import type { Sandbox } from '../../sandbox/server';
import type { ProviderClients } from '../../src/providers/config';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';
import { eventually, startTestSandbox } from '../harness/sandbox';
import { watchJobOnce } from '../fixtures/workflows/activity-probe-workflows';

let sandbox: Sandbox;
let clients: ProviderClients;
let dev: DevServerHandle;
beforeAll(async () => {
  ({ sandbox, clients } = await startTestSandbox({
    epochMs: 200,
    queueMs: 0,
    faults: { stallAtEpoch: 1, stallJobNameContains: 'frozen' },
  }));
  dev = await connectDevServer();
});
afterAll(async () => {
  await sandbox.close();
  await dev.close();
});

// On a real server: between looks the watch keeps its stall clock in heartbeat details, which the server
// hands to the next attempt. A watch that started every attempt from its input would see "progress"
// at each look (its input knows no step) and never notice the stall before its report is due.
it('a watch notices a job frozen across its looks and reports the stall long before the report is due', async () => {
  const { id } = sandbox.state.createJob({ name: 'frozen-job', totalEpochs: 10 });
  await eventually(async () => {
    const job = await clients.tensorone.jobs.get(id);
    return job.status === 'running' && job.checkpointIds.length >= 1;
  });
  const taskQueue = uniqueTaskQueue('watch');
  const worker = await Worker.create({
    connection: dev.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/workflows/activity-probe-workflows'),
    activities: createActivities(clients),
  });
  const now = Date.now();
  const outcome = await worker.runUntil(
    dev.client.workflow.execute(watchJobOnce, {
      taskQueue,
      workflowId: taskQueue,
      args: [
        {
          provider: 'tensorone',
          jobId: id,
          stall: { lastProgressAtMs: now },
          startedAtMs: now,
          firstLookInMs: 0,
          plan: {
            knownStatus: 'running',
            segmentStartedAtMs: now - 3_600_000,
            reportByMs: now + 60_000,
            freshnessMs: 300,
            minIntervalMs: 300,
            stallAfterMs: 1500,
          },
        },
      ],
    }),
  );
  expect(outcome.reason).toBe('stalled');
  expect(outcome.looks).toBeGreaterThanOrEqual(2);
  expect(outcome.looks).toBeLessThan(20);
  expect(outcome.job.status).toBe('running');
});

describe('a watch doubts odd answers', () => {
  // One worker for these tests, started before their jobs: the jobs train for seconds only.
  const taskQueue = uniqueTaskQueue('watch-doubts');
  let running: Promise<void>;
  let worker: Worker;
  beforeAll(async () => {
    worker = await Worker.create({
      connection: dev.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/workflows/activity-probe-workflows'),
      activities: createActivities(clients),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
  });

  /** Runs one watch of `jobId` (known to be running) on the dev server, with a short report horizon. */
  async function watch(jobId: string, plan: Partial<WatchInput['plan']> = {}): Promise<WatchOutcome> {
    const now = Date.now();
    return await dev.client.workflow.execute(watchJobOnce, {
      taskQueue,
      workflowId: `${taskQueue}-${jobId}`,
      args: [
        {
          provider: 'tensorone',
          jobId,
          stall: { lastProgressAtMs: now },
          startedAtMs: now,
          firstLookInMs: 0,
          plan: {
            knownStatus: 'running',
            segmentStartedAtMs: now,
            reportByMs: now + 60_000,
            freshnessMs: 300,
            minIntervalMs: 300,
            stallAfterMs: 30_000,
            ...plan,
          },
        } satisfies WatchInput,
      ],
    });
  }

  async function runningJob(name: string, epochs: number): Promise<string> {
    const job = sandbox.state.createJob({ name, totalEpochs: epochs });
    // Read from the sandbox's state, not its API: the API's odd answers are for the watch.
    await eventually(() => sandbox.state.advance(job).status === 'running');
    return job.id;
  }

  it('a "completed" answered once mid-training is looked at again and not handed back; the real one is', async () => {
    sandbox.state.faults = {
      ...sandbox.state.faults,
      spuriousStatus: 'completed',
      // The first look at the running job, whenever it comes (the worker takes a moment to start).
      spuriousStatusAtEpoch: 1,
      spuriousStatusJobNameContains: 'once-completed',
    };
    const id = await runningJob('once-completed', 30);
    const outcome = await watch(id);
    expect(sandbox.state.faultsInjected.spuriousStatus).toBe(1);
    expect(outcome.reason).toBe('status-changed');
    expect(outcome.job.status).toBe('completed');
    expect(outcome.job.progress.currentEpoch).toBe(30);
  });

  it('one gateway HTML page does not end the watch: the next look reads the job', async () => {
    const id = await runningJob('behind-a-gateway', 8);
    sandbox.state.faults = {
      ...sandbox.state.faults,
      htmlAnswers: 1,
      htmlAnswerRoutePattern: `/training/jobs(/${id})?$`,
    };
    const outcome = await watch(id);
    expect(sandbox.state.faults.htmlAnswers).toBe(0);
    expect(outcome).toMatchObject({ reason: 'status-changed', job: { status: 'completed' } });
  });

  it(`an answer that stays malformed fails the watch at the ${MALFORMED_TRIES}th look in a row, not before`, async () => {
    const id = await runningJob('gateway-down', 500);
    sandbox.state.faults = {
      ...sandbox.state.faults,
      htmlAnswers: 100,
      htmlAnswerRoutePattern: `/training/jobs(/${id})?$`,
    };
    const err = await watch(id).catch((e: unknown) => e);
    const remaining = sandbox.state.faults.htmlAnswers;
    sandbox.state.faults = { ...sandbox.state.faults, htmlAnswers: 0 };
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause as ActivityFailure;
    expect(activity.cause).toBeInstanceOf(ApplicationFailure);
    expect(activity.cause).toMatchObject({ type: 'MALFORMED_RESPONSE', nonRetryable: true });
    expect(100 - remaining).toBe(MALFORMED_TRIES);
  });
});

describe('looks read a shared sweep of the job list', () => {
  const FRESHNESS = 60_000;
  /** One look at a job known to be running, on the watch's clock `nowMs`, carrying `details` from the previous look. */
  function lookAt(
    watch: ReturnType<typeof createActivities>['watchTrainingJob'],
    jobId: string,
    nowMs: number,
    details?: BetweenLooks,
    plan: Partial<WatchInput['plan']> = {},
  ) {
    return runActivityResuming<[WatchInput], WatchOutcome>(
      { workflowId: `look-${jobId}`, attempt: details ? 2 : 1, heartbeatDetails: details },
      watch,
      runningJobWatch(jobId, nowMs, { freshnessMs: FRESHNESS, ...plan }),
    );
  }
  const requestsSince = (sinceMs: number) => sandbox.state.requestLog.filter((r) => r.at >= sinceMs);
  const listRequests = (sinceMs: number) =>
    requestsSince(sinceMs).filter((r) => r.path === '/tensorone/v2/training/jobs');
  const jobReads = (sinceMs: number, jobId?: string) =>
    requestsSince(sinceMs).filter((r) =>
      jobId ? r.path.endsWith(`/v2/training/jobs/${jobId}`) : /\/v2\/training\/jobs\/[^/]+$/.test(r.path),
    );
  const lastBeat = (o: { heartbeats: unknown[] }) => o.heartbeats.at(-1) as BetweenLooks;

  it('150 concurrent looks in one window make one sweep, its second page read, and no job read by itself', async () => {
    const jobs = Array.from({ length: 150 }, (_, i) =>
      sandbox.state.createJob({ name: `swept-${i}`, totalEpochs: 100_000 }),
    );
    await eventually(() => jobs.every((j) => sandbox.state.advance(j).status === 'running'));
    const { watchTrainingJob } = createActivities(clients); // a new worker process: nothing swept yet
    const running = [...sandbox.state.jobs.values()].filter((j) => j.status === 'running').length;
    const since = Date.now();
    const now = Date.now();
    const looks = await Promise.all(jobs.map((j) => lookAt(watchTrainingJob, j.id, now)));
    for (const look of looks) {
      expect(look.error).toMatchObject({ type: 'JOB_UNCHANGED' });
      expect(lastBeat(look).latest).toMatchObject({ status: 'running' });
      expect(lastBeat(look).latest!.step).toBeGreaterThan(0);
    }
    // Every look comes back when the sweep they read grows too old (seven tenths of the freshness),
    // spread over the next two tenths, each job at its own place.
    const nextLooks = looks.map((look) => lastBeat(look).nextLookAtMs);
    expect(Math.min(...nextLooks) - now).toBeGreaterThanOrEqual(0.7 * FRESHNESS);
    expect(Math.max(...nextLooks)).toBeLessThanOrEqual(Date.now() + 0.9 * FRESHNESS);
    expect(Math.max(...nextLooks) - Math.min(...nextLooks)).toBeGreaterThan(0.1 * FRESHNESS);
    // Every page of the running jobs (two or more: the last 50 of these are on the second), once, and
    // none of pending jobs (no look expected one); the jobs of the second page were not read by
    // themselves either.
    expect(running).toBeGreaterThan(100);
    expect(listRequests(since)).toHaveLength(Math.ceil(running / 100));
    expect(jobReads(since)).toHaveLength(0);

    // The next looks, inside the window, read the same sweep; the first look past it makes a new one.
    const again = Date.now();
    await Promise.all(jobs.slice(0, 20).map((j) => lookAt(watchTrainingJob, j.id, now + 1000)));
    expect(listRequests(again)).toHaveLength(0);
    // A look that expects its job still pending has the next sweep list the pending jobs too.
    await lookAt(watchTrainingJob, jobs[0]!.id, now + FRESHNESS, undefined, { knownStatus: 'pending' });
    expect(listRequests(again)).toHaveLength(Math.ceil(running / 100) + 1);
    for (const j of jobs) sandbox.state.stopJob(j, false);
  });

  it('a job the sweep did not show is read by itself; its end is confirmed by another read, with its checkpoints', async () => {
    const job = sandbox.state.createJob({ name: 'ended-off-list', totalEpochs: 2 });
    await eventually(() => sandbox.state.advance(job).status === 'completed');
    const { watchTrainingJob } = createActivities(clients);
    const since = Date.now();
    const now = Date.now();
    const first = await lookAt(watchTrainingJob, job.id, now);
    // Seen "completed" once: looked at again to confirm, not handed back yet.
    expect(first.error).toMatchObject({ type: 'JOB_UNCHANGED' });
    expect(lastBeat(first).lastStatus).toBe('completed');
    expect(listRequests(since).length).toBeGreaterThan(0);
    expect(jobReads(since, job.id)).toHaveLength(1);
    const second = await lookAt(watchTrainingJob, job.id, now + 1000, lastBeat(first));
    expect(second.result).toMatchObject({ reason: 'status-changed', job: { status: 'completed' } });
    expect(second.result!.job.checkpointIds.length).toBeGreaterThan(0);
    expect(jobReads(since, job.id)).toHaveLength(2);
  });

  it('a look that reads the list shows the cost with the time it was read; an ended job has no ETA', async () => {
    const job = sandbox.state.createJob({ name: 'cost-age', totalEpochs: 1000 });
    await eventually(() => sandbox.state.advance(job).completedEpochs >= 2);
    const { watchTrainingJob } = createActivities(clients);
    const now = Date.now();
    const far = { maxCost: 1e9 };
    // The first look reads the job itself: its cost is as fresh as the look.
    const firstLook = await lookAt(watchTrainingJob, job.id, now, undefined, far);
    const first = lastBeat(firstLook).latest!;
    expect(first.cost).toBeGreaterThan(0);
    expect(first.costAt).toBe(first.at);
    expect(first.eta).toEqual(expect.any(String));
    // The next reads the list, which carries no cost: the cost shown is the first read's, and says so.
    const second = lastBeat(
      await lookAt(watchTrainingJob, job.id, now + 1000, lastBeat(firstLook), far),
    ).latest!;
    expect(second).toMatchObject({ cost: first.cost, costAt: first.at });
    expect(Date.parse(second.at)).toBeGreaterThan(Date.parse(second.costAt!));
    sandbox.state.stopJob(job, false);

    const ended = sandbox.state.createJob({ name: 'eta-ended', totalEpochs: 1 });
    await eventually(() => sandbox.state.advance(ended).status === 'completed');
    const look = lastBeat(await lookAt(watchTrainingJob, ended.id, Date.now())).latest!;
    expect(look.status).toBe('completed');
    expect(look.eta).toBeUndefined();
  });

  it('a job with a budget is read by itself for its cost at first, then only when the cost may reach the budget', async () => {
    // 1,000 epochs of 200 ms: the list's percentage (one decimal) moves every 0.4 s.
    const job = sandbox.state.createJob({ name: 'budgeted', totalEpochs: 1000 });
    await eventually(() => sandbox.state.advance(job).completedEpochs >= 2);
    const { watchTrainingJob } = createActivities(clients);
    const since = Date.now();
    const now = Date.now();
    const far = { maxCost: 1e9 };
    const first = await lookAt(watchTrainingJob, job.id, now, undefined, far);
    expect(jobReads(since, job.id)).toHaveLength(1);
    expect(lastBeat(first).latest!.cost).toBeGreaterThan(0);
    // Far from the budget: the list is enough, and the cost shown is the one read.
    const second = await lookAt(watchTrainingJob, job.id, now + 1000, lastBeat(first), far);
    expect(jobReads(since, job.id)).toHaveLength(1);
    expect(lastBeat(second).latest!.cost).toBe(lastBeat(first).latest!.cost);
    // A budget the cost already reached: read by itself, and handed back to stop the job.
    const near = { maxCost: lastBeat(first).latest!.cost! };
    const third = await lookAt(watchTrainingJob, job.id, now + 2000, lastBeat(second), near);
    expect(jobReads(since, job.id)).toHaveLength(2);
    expect(third.result).toMatchObject({ reason: 'cost-budget' });
    sandbox.state.stopJob(job, false);
  });

  it('a sweep older than the look never makes a stall: the clock judges at the time the list was read', async () => {
    const job = sandbox.state.createJob({ name: 'frozen-in-sweep', totalEpochs: 10 });
    await eventually(() => sandbox.state.advance(job).completedEpochs >= 1);
    const { watchTrainingJob } = createActivities(clients);
    const now = Date.now();
    const stallAfterMs = 20_000; // shorter than the sweep's window (0.7 × 60 s)
    const input = runningJobWatch(job.id, now, {
      freshnessMs: FRESHNESS,
      stallAfterMs,
      reportByMs: now + 3_600_000,
    });
    const lookAtTime = (atMs: number, details?: BetweenLooks) =>
      runActivityResuming<[WatchInput], WatchOutcome>(
        { workflowId: `look-${job.id}`, attempt: details ? 2 : 1, heartbeatDetails: details },
        watchTrainingJob,
        input,
      );
    const first = await lookAtTime(now);
    expect(first.error).toMatchObject({ type: 'JOB_UNCHANGED' });
    // 30 s later (past stallAfter) the same sweep, made at `now`, serves: it says nothing of the 30 s since.
    const second = await lookAtTime(now + 30_000, { ...lastBeat(first), nextLookAtMs: now + 30_000 });
    expect(second.error).toMatchObject({ type: 'JOB_UNCHANGED' });
    const sweptAtMs = lastBeat(first).stall.seenAtMs!;
    expect(sweptAtMs).toBeLessThan(now + 1000);
    expect(lastBeat(second).stall).toMatchObject({ lastProgressAtMs: sweptAtMs, seenAtMs: sweptAtMs });
    // Past the window a new sweep is made; it shows the same step, stallAfter after it was first seen.
    const third = await lookAtTime(now + 45_000, { ...lastBeat(second), nextLookAtMs: now + 45_000 });
    expect(third.result).toMatchObject({ reason: 'stalled', figuresAtMs: now + 45_000 });
    sandbox.state.stopJob(job, false);
  });

  it("a look that reaches its pipeline's cost step reads the job itself: the cost it hands back was answered at its progress", async () => {
    const job = sandbox.state.createJob({ name: 'cost-step', totalEpochs: 1000 });
    await eventually(() => sandbox.state.advance(job).completedEpochs >= 2);
    const { watchTrainingJob } = createActivities(clients);
    const since = Date.now();
    const now = Date.now();
    const far = { maxCost: 1e9 };
    const first = await lookAt(watchTrainingJob, job.id, now, undefined, far);
    expect(jobReads(since, job.id)).toHaveLength(1);
    await eventually(() => sandbox.state.advance(job).completedEpochs >= 4);
    // Far from the budget, the list would do; at the cost step, the job is read and handed back.
    const step = { ...far, reportAtPercentage: Number.MIN_VALUE };
    const second = await lookAt(watchTrainingJob, job.id, now + 1000, lastBeat(first), step);
    expect(second.result).toMatchObject({ reason: 'cost-step' });
    expect(jobReads(since, job.id)).toHaveLength(2);
    expect(second.result!.job.cost).toBeGreaterThan(lastBeat(first).latest!.cost!);
    sandbox.state.stopJob(job, false);
  });
});
