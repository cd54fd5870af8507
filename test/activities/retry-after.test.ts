import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createProviderClients } from '../../src/providers/config';
import type { Sandbox } from '../../sandbox/server';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';
import { eventually, startTestSandbox } from '../harness/sandbox';
import { listJobsOnce } from '../fixtures/workflows/activity-probe-workflows';

let sandbox: Sandbox;
let dev: DevServerHandle;
beforeAll(async () => {
  ({ sandbox } = await startTestSandbox());
  dev = await connectDevServer();
});
afterAll(async () => {
  await sandbox.close();
  await dev.close();
});

it('the engine waits the provider’s Retry-After (2 s) although the retry policy says 100 ms', async () => {
  const taskQueue = uniqueTaskQueue('retry-after');
  const worker = await Worker.create({
    connection: dev.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/workflows/activity-probe-workflows'),
    activities: createActivities(createProviderClients(sandbox.endpoints)),
  });
  sandbox.state.faults = {
    ...sandbox.state.faults,
    rateLimitRate: 1,
    retryAfterSeconds: 2,
    routePattern: '/v2/training/jobs$',
  };
  await worker.runUntil(async () => {
    const handle = await dev.client.workflow.start(listJobsOnce, { taskQueue, workflowId: taskQueue });
    // After the first 429, lift the fault: the next attempt must come no earlier than 2 s later.
    await eventually(() => sandbox.state.requestLog.find((r) => r.status === 429));
    sandbox.state.faults = { ...sandbox.state.faults, rateLimitRate: 0 };
    await handle.result();
  });
  const calls = sandbox.state.requestLog.filter((r) => r.path.endsWith('/v2/training/jobs'));
  const limited = calls.findIndex((r) => r.status === 429);
  const retry = calls[limited + 1];
  expect(retry.status).toBe(200);
  expect(retry.at - calls[limited].at).toBeGreaterThanOrEqual(1950);
  expect(sandbox.state.retryAfterViolations).toBe(0);
});
