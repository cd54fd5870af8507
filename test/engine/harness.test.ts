import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  connectDevServer,
  DevServerHandle,
  startTimeSkippingEnv,
  uniqueTaskQueue,
} from '../harness/temporal';
import {
  collectGreetings,
  greetSignal,
  greetingsQuery,
  sleepForDays,
  stopBeforeTimeout,
  stopSignal,
  stopWhileActivityEnds,
  type HoldActivities,
} from '../fixtures/workflows/harness-workflows';

const workflowsPath = require.resolve('../fixtures/workflows/harness-workflows');

/** The workflow's result, or 'stuck' (and the workflow terminated) when it has none within 45 s. */
async function endsOrStuck<T>(handle: WorkflowHandle<() => Promise<T>>): Promise<T | 'stuck'> {
  let stuck: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    handle.result(),
    new Promise<'stuck'>((done) => (stuck = setTimeout(() => done('stuck'), 45_000))),
  ]);
  clearTimeout(stuck);
  if (ended === 'stuck') await handle.terminate('stuck: the test server refused a workflow task');
  return ended;
}

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a workflow that sleeps 30 days in seconds of wall time', async () => {
    const taskQueue = uniqueTaskQueue('harness-ts');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath });
    const started = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(sleepForDays, { args: [30], taskQueue, workflowId: taskQueue }),
    );
    expect(result).toBe('slept 30 days');
    expect(Date.now() - started).toBeLessThan(60_000);
    const skipped = (await env.currentTimeMs()) - started;
    expect(skipped).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
  });

  // The released test server refused this cancel for good (engine/test-server-patch.ts): the workflow
  // never moved again and every later test on the server waited in real time.
  it('takes the cancel of a timer that fired while its workflow task ran, as a real server does', async () => {
    const taskQueue = uniqueTaskQueue('harness-fired-timer');
    const activities: HoldActivities = { holdFor: (ms) => new Promise((done) => setTimeout(done, ms)) };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      activities,
    });
    const timeoutMs = 3_000;
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(stopBeforeTimeout, {
        args: [timeoutMs, 6_000],
        taskQueue,
        workflowId: taskQueue,
      });
      // The stop comes once the wait's timer runs (time stands still: nobody awaits a result yet).
      for (;;) {
        const { events } = await handle.fetchHistory();
        if (events?.some((e) => e.timerStartedEventAttributes)) break;
        await new Promise((done) => setTimeout(done, 50));
      }
      await handle.signal(stopSignal);
      return { ended: await endsOrStuck(handle), events: (await handle.fetchHistory()).events ?? [] };
    });
    expect(outcome.ended).toBe(true);
    const at = (e: (typeof outcome.events)[number]) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    const started = outcome.events.find((e) => e.timerStartedEventAttributes)!;
    const cancelled = outcome.events.find((e) => e.timerCanceledEventAttributes);
    // The race happened: the task that cancelled the timer completed after the timer was due.
    expect(cancelled).toBeDefined();
    expect(at(cancelled!) - at(started)).toBeGreaterThanOrEqual(timeoutMs);
    // As on a real server, the cancel replaced the fire.
    const timerId = started.timerStartedEventAttributes?.timerId;
    expect(cancelled!.timerCanceledEventAttributes?.timerId).toBe(timerId);
    expect(outcome.events.filter((e) => e.timerFiredEventAttributes?.timerId === timerId)).toEqual([]);
  });

  it('takes the cancel of an activity that ended while its workflow task ran, as a real server does', async () => {
    const taskQueue = uniqueTaskQueue('harness-ended-activity');
    const workMs = 3_000;
    // The activity's start is told here: its started event shows in the history only once it ends.
    let working!: () => void;
    const workStarted = new Promise<void>((done) => (working = done));
    const activities: HoldActivities = {
      holdFor: (ms) => {
        if (ms === workMs) working();
        return new Promise((done) => setTimeout(done, ms));
      },
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath,
      activities,
    });
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(stopWhileActivityEnds, {
        args: [workMs, 6_000],
        taskQueue,
        workflowId: taskQueue,
      });
      // The stop comes once the activity runs (time stands still: nobody awaits a result yet).
      await workStarted;
      await handle.signal(stopSignal);
      return { ended: await endsOrStuck(handle), events: (await handle.fetchHistory()).events ?? [] };
    });
    expect(outcome.ended).toBe('cancelled');
    const types = outcome.events.map((e) => e.eventType);
    const requested = outcome.events.findIndex((e) => e.activityTaskCancelRequestedEventAttributes);
    const completed = outcome.events.findIndex((e) => e.activityTaskCompletedEventAttributes);
    // The race happened: the activity's end was held while the task that cancelled it ran, and it
    // follows the cancel request, as on a real server.
    expect(requested).toBeGreaterThan(0);
    expect(completed).toBeGreaterThan(requested);
    expect(types.filter((t) => t === types[requested])).toHaveLength(1);
  });
});

describe('dev server (shared for the run)', () => {
  let dev: DevServerHandle;
  beforeAll(async () => {
    dev = await connectDevServer();
  });
  afterAll(async () => {
    await dev?.close();
  });

  it('answers a query and a signal on a real server', async () => {
    const taskQueue = uniqueTaskQueue('harness-dev');
    const worker = await Worker.create({ connection: dev.nativeConnection, taskQueue, workflowsPath });
    await worker.runUntil(async () => {
      const handle = await dev.client.workflow.start(collectGreetings, {
        args: [2],
        taskQueue,
        workflowId: taskQueue,
      });
      await handle.signal(greetSignal, 'ada');
      await expect(handle.query(greetingsQuery)).resolves.toEqual(['hello ada']);
      await handle.signal(greetSignal, 'grace');
      await expect(handle.result()).resolves.toEqual(['hello ada', 'hello grace']);
    });
  });
});
