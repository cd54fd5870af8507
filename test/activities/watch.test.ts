import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { MALFORMED_TRIES } from '../../src/activities/failures';
import { createActivities } from '../../src/activities';
import type { WatchInput, WatchOutcome } from '../../src/activities/watch';
import type { Sandbox } from '../../sandbox/server';
import type { ProviderClients } from '../../src/providers/config';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';
import { eventually, startTestSandbox } from '../harness/sandbox';

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
  const outcome = (await worker.runUntil(
    dev.client.workflow.execute('watchJobOnce', {
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
  )) as WatchOutcome;
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
    return (await dev.client.workflow.execute('watchJobOnce', {
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
    })) as WatchOutcome;
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
