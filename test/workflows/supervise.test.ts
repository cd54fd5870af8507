import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createProviderClients } from '../../src/providers/config';
import { progressQuery, type SuperviseInput, type SupervisionResult } from '../../src/workflows/definitions';
import { startFixtureServer } from '../harness/fixture-server';
import { uniqueTaskQueue } from '../harness/temporal';
import { advanceUntil, HOUR, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';
import { workflowCode } from '../../src/config/workflow-code';

// One epoch per virtual hour: a 720-epoch job trains for 30 days.
let bed: WorkflowTestBed;
beforeAll(async () => {
  bed = await startWorkflowTestBed({ epochMs: HOUR, queueMs: 10 * 60_000 });
});
afterAll(() => bed?.teardown());

const settings = {
  freshness: '6h',
  minInterval: '1m',
  stallAfter: '12h',
  resumeBudget: 2,
  unknownStatusGrace: '2h',
};

function createJob(name: string, epochs: number): string {
  return bed.sandbox.state.createJob({ name, totalEpochs: epochs }).id;
}

it('supervises a job through 30 simulated days, continuing as new, with progress intact', async () => {
  const jobId = createJob('thirty-days', 720);
  const input: SuperviseInput = { provider: 'tensorone', jobId, ...settings, historyEventLimit: 150 };
  const started = await bed.env.currentTimeMs();
  const result = await bed.withWorker(async () => {
    const handle = await bed.env.client.workflow.start('superviseTrainingJob', {
      args: [input],
      taskQueue: bed.taskQueue,
      workflowId: `supervise-${jobId}`,
    });
    // Mid-way the progress query answers from the current run, with counters carried over.
    const mid = await advanceUntil(
      bed.env,
      async () => {
        const p = await handle.query(progressQuery);
        return p && (p.epoch ?? 0) >= 300 ? p : undefined;
      },
      6 * HOUR,
    );
    expect(mid.runs).toBeGreaterThan(1);
    expect(mid.status).toBe('running');
    return (await handle.result()) as SupervisionResult;
  });
  const days = ((await bed.env.currentTimeMs()) - started) / (24 * HOUR);
  expect(days).toBeGreaterThanOrEqual(30);
  expect(result.outcome).toBe('completed');
  expect(result.job.progress.percentage).toBe(100);
  expect(result.runs).toBeGreaterThan(3);
  // Polls stay near the freshness bound: about 4 a day, not one a minute.
  expect(result.polls / days).toBeLessThan(12);
});

it('stops and resumes a stalled job, then lets it complete', async () => {
  bed.sandbox.state.faults = {
    ...bed.sandbox.state.faults,
    stallAtEpoch: 3,
    stallJobNameContains: 'stall-alone',
  };
  const jobId = createJob('stall-alone', 6);
  const result = (await bed.withWorker(async () =>
    bed.env.client.workflow.execute('superviseTrainingJob', {
      args: [{ provider: 'tensorone', jobId, ...settings }],
      taskQueue: bed.taskQueue,
      workflowId: `supervise-${jobId}`,
    }),
  )) as SupervisionResult;
  expect(result).toMatchObject({ outcome: 'completed', resumes: 1 });
  bed.sandbox.state.faults = { ...bed.sandbox.state.faults, stallAtEpoch: undefined };
});

it('fails clearly when a failed job cannot be resumed within its budget', async () => {
  bed.sandbox.state.faults = {
    ...bed.sandbox.state.faults,
    failAtEpoch: 2,
    failJobNameContains: 'fails-hard',
  };
  const jobId = createJob('fails-hard', 5);
  // The sandbox's failure (a lost worker) is resumable, but the budget is 0.
  const err = await bed
    .withWorker(() =>
      bed.env.client.workflow.execute('superviseTrainingJob', {
        args: [{ provider: 'tensorone', jobId, ...settings, resumeBudget: 0 }],
        taskQueue: bed.taskQueue,
        workflowId: `supervise-${jobId}`,
      }),
    )
    .catch((e: unknown) => e);
  bed.sandbox.state.faults = { ...bed.sandbox.state.faults, failAtEpoch: undefined };
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'RESUME_BUDGET_EXHAUSTED' });
});

it('a status the documents never name ends the wait after the grace period: no endless poll', async () => {
  const fixtures = await startFixtureServer({
    'GET /t1/v2/training/jobs/job_weird': {
      status: 200,
      body: { id: 'job_weird', status: 'HIBERNATING', progress: { currentStep: 1 } },
    },
  });
  const base = { baseURL: `${fixtures.url}/t1`, apiKey: 'k-123456' };
  const taskQueue = uniqueTaskQueue('weird');
  const worker = await Worker.create({
    connection: bed.env.nativeConnection,
    taskQueue,
    ...workflowCode(),
    activities: createActivities(
      createProviderClients({ tensorone: base, tensormesh: base, marqtune: base }),
    ),
  });
  const err = await worker
    .runUntil(
      bed.env.client.workflow.execute('superviseTrainingJob', {
        args: [{ provider: 'tensorone', jobId: 'job_weird', ...settings }],
        taskQueue,
        workflowId: 'supervise-weird',
      }),
    )
    .catch((e: unknown) => e);
  await fixtures.close();
  const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('UNKNOWN_JOB_STATUS');
  expect(cause.message).toContain('"HIBERNATING"');
  expect(fixtures.seen.length).toBeLessThan(40);
});
