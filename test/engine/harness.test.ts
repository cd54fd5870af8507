import { Worker } from '@temporalio/worker';
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
} from '../fixtures/workflows/harness-workflows';

const workflowsPath = require.resolve('../fixtures/workflows/harness-workflows');

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
