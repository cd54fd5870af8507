import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { WatchOutcome } from '../../src/activities/watch';
import type { Sandbox } from '../../src/sandbox/server';
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
