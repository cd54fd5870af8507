import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { CleanupInput } from '../../src/workflows/cleanup/contract';
import { providerOfActivity } from '../../src/provider-rate/activity-queues';
import { sandboxAdmin } from '../../sandbox/admin-client';
import type { Sandbox } from '../../sandbox/server';
import { writeWorkflowBundle } from '../../scripts/bundle-workflows';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';
import { startTestSandbox } from '../harness/sandbox';
import { startWorkflowTestBed, useSharedTimeSkippingEnv } from '../harness/workflow-env';
import { pipelineInput } from '../../fixtures/pipelines';
import { checkpointCleanup, fineTuneToDeploy } from '../../src/workflows';
import { superviseWorkflowId } from '../../src/workflows/supervise/contract';
import { MockActivityEnvironment } from '@temporalio/testing';
import { readsAtProviderRate } from '../../src/provider-rate/reads';
import { testWorkflowBundle } from '../harness/workflow-bundles';

const repo = path.resolve(__dirname, '../..');

describe('which activities run on a provider task queue', () => {
  it('the watch stays on the workflow queue; one-call activities go to their provider', () => {
    expect(providerOfActivity('watchTrainingJob')).toBeUndefined();
    expect(providerOfActivity('deleteCheckpoints')).toBeUndefined();
    expect(providerOfActivity('listCheckpoints')).toBe('tensorone');
    expect(providerOfActivity('provisionServedModel')).toBe('tensormesh');
    expect(providerOfActivity('getMarqtuneModel')).toBe('marqtune');
    // Not an activity (nor a name every object answers to): the workflow's own queue.
    expect(providerOfActivity('noSuchActivity')).toBeUndefined();
    expect(providerOfActivity('toString')).toBeUndefined();
  });
});

describe('pipelines on a time-skipping server', () => {
  // One server for these pipeline runs (each bed its own sandbox and task queue), torn down after them.
  const sharedEnv = useSharedTimeSkippingEnv();

  describe("a pipeline on the worker process's queues (time-skipping server)", () => {
    it('deploys with its provider activities on the provider queue, the watch and deletions on its own', async () => {
      const bed = await startWorkflowTestBed({}, { providerQueues: true, shared: sharedEnv() });
      try {
        const workflowId = 'pipeline-on-provider-queues';
        const result = await bed.withWorker(() =>
          bed.env.client.workflow.execute(fineTuneToDeploy, {
            args: [pipelineInput('on-provider-queues')],
            taskQueue: bed.taskQueue,
            workflowId,
          }),
        );
        expect(result.outcome).toBe('deployed');
        // Every activity of the run and its children, by the queue it was scheduled on.
        const queues = new Map<string, Set<string>>();
        const ids = [workflowId];
        for (let i = 0; i < ids.length; i++) {
          const history = await bed.env.client.workflow.getHandle(ids[i]!).fetchHistory();
          for (const e of history.events ?? []) {
            const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
            if (child) ids.push(child);
            const a = e.activityTaskScheduledEventAttributes;
            if (!a) continue;
            const name = a.activityType!.name!;
            if (!queues.has(name)) queues.set(name, new Set());
            queues.get(name)!.add(a.taskQueue!.name!);
          }
        }
        const provider = `${bed.taskQueue}--tensorone`;
        expect(queues.get('startTrainingJob')).toEqual(new Set([provider]));
        expect(queues.get('deployCheckpointEndpoint')).toEqual(new Set([provider]));
        expect(queues.get('listCheckpoints')).toEqual(new Set([provider]));
        expect(queues.get('watchTrainingJob')).toEqual(new Set([bed.taskQueue]));
        expect(queues.get('leaseAndDeleteCheckpoints')).toEqual(new Set([bed.taskQueue]));
        for (const [name, onQueues] of queues)
          expect({ name, queues: [...onQueues] }).toEqual({
            name,
            queues: [providerOfActivity(name) ? provider : bed.taskQueue],
          });
      } finally {
        await bed.teardown();
      }
    }, 180_000);
  });

  describe("under TENSORONE_MAX_RPS a watch's reads and the candidate's look-up go through the provider queue too (time-skipping server)", () => {
    /** The pipeline's watch activities' request origins, and the origins of every TensorOne job read. */
    async function watchOrigins(maxRps: number | undefined) {
      const bed = await startWorkflowTestBed(
        {},
        {
          providerQueues: true,
          shared: sharedEnv(),
          ...(maxRps === undefined ? {} : { tensoroneMaxRps: maxRps }),
        },
      );
      try {
        const result = await bed.withWorker(() =>
          bed.env.client.workflow.execute(fineTuneToDeploy, {
            args: [pipelineInput(`watch-reads-${maxRps ?? 'unlimited'}`)],
            taskQueue: bed.taskQueue,
            workflowId: `watch-reads-${maxRps ?? 'unlimited'}`,
          }),
        );
        expect(result.outcome).toBe('deployed');
        const supervision = superviseWorkflowId('tensorone', result.jobId!);
        const history = await bed.env.client.workflow.getHandle(supervision).fetchHistory();
        const watches = (history.events ?? []).flatMap((e) => {
          const a = e.activityTaskScheduledEventAttributes;
          return a?.activityType?.name === 'watchTrainingJob' ? [`${supervision}/${a.activityId}`] : [];
        });
        const jobReads = bed.sandbox.state.requestLog.filter(
          (r) => r.method === 'GET' && /\/tensorone\/v2\/training\/jobs(\/[^/]+)?$/.test(r.path),
        );
        // Which of the pipeline's own activities asked whether its claimed candidate is still there.
        const pipelineId = `watch-reads-${maxRps ?? 'unlimited'}`;
        const activityOf = new Map<string, string>(
          ((await bed.env.client.workflow.getHandle(pipelineId).fetchHistory()).events ?? []).flatMap((e) => {
            const a = e.activityTaskScheduledEventAttributes;
            return a ? [[`${pipelineId}/${a.activityId}`, a.activityType!.name!] as [string, string]] : [];
          }),
        );
        const candidateReads = bed.sandbox.state.requestLog
          .filter((r) => r.method === 'GET' && /\/tensorone\/v2\/training\/checkpoints\/[^/]+$/.test(r.path))
          .map((r) => activityOf.get(r.origin ?? '') ?? r.origin);
        return { watches, origins: jobReads.map((r) => r.origin ?? ''), candidateReads };
      } finally {
        await bed.teardown();
      }
    }

    it('with a limit: no request comes from the watch itself; its sweep and reads are tensorone-read workflows', async () => {
      const { watches, origins, candidateReads } = await watchOrigins(50);
      expect(watches.length).toBeGreaterThan(0);
      expect(origins.filter((o) => watches.includes(o))).toEqual([]);
      expect(origins.filter((o) => o.includes('/tensorone-read-')).length).toBeGreaterThan(0);
      // The claimed candidate's look-up too: an activity on the provider queue, not the claim's.
      expect(candidateReads).toEqual(['getCheckpoint']);
    }, 180_000);

    it('without a limit the watch reads the provider itself (what the test above tells apart)', async () => {
      const { watches, origins, candidateReads } = await watchOrigins(undefined);
      expect(origins.filter((o) => watches.includes(o)).length).toBeGreaterThan(0);
      expect(origins.filter((o) => o.includes('/tensorone-read-'))).toEqual([]);
      // Without a limit the claim's own activity asks, right after the claim: no activity of its own.
      expect(candidateReads).toEqual(['claimWithChampion']);
    }, 180_000);
  });

  describe("under MARQTUNE_MAX_RPS a Marqtune watch's looks go through the provider queue (time-skipping server)", () => {
    /** The Marqtune model reads (`GET /models`) of a Marqtune pipeline: from its watch, or from read workflows. */
    async function marqtuneReadOrigins(maxRps: number | undefined) {
      const bed = await startWorkflowTestBed(
        {},
        {
          providerQueues: true,
          shared: sharedEnv(),
          ...(maxRps === undefined ? {} : { marqtuneMaxRps: maxRps }),
        },
      );
      try {
        const { modelId } = await sandboxAdmin(bed.sandbox.url).addMarqtuneModel({
          modelName: `mq-reads-${maxRps ?? 'unlimited'}`,
          epochs: 3,
        });
        const result = await bed.withWorker(() =>
          bed.env.client.workflow.execute(fineTuneToDeploy, {
            args: [
              pipelineInput(`mq-reads-${maxRps ?? 'unlimited'}`, {
                train: { kind: 'marqtune', modelId },
                deploy: {
                  target: 'tensormesh',
                  userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
                  gpuType: 'GPU_TYPE_H100',
                },
              }),
            ],
            taskQueue: bed.taskQueue,
            workflowId: `mq-reads-${maxRps ?? 'unlimited'}`,
          }),
        );
        expect(result.outcome).toBe('deployed');
        const supervision = superviseWorkflowId('marqtune', modelId);
        const history = await bed.env.client.workflow.getHandle(supervision).fetchHistory();
        const watches = (history.events ?? []).flatMap((e) => {
          const a = e.activityTaskScheduledEventAttributes;
          return a?.activityType?.name === 'watchTrainingJob' ? [`${supervision}/${a.activityId}`] : [];
        });
        const reads = bed.sandbox.state.requestLog.filter(
          (r) => r.method === 'GET' && /\/marqtune\/models$/.test(r.path),
        );
        return { watches, origins: reads.map((r) => r.origin ?? ''), taskQueue: bed.taskQueue };
      } finally {
        await bed.teardown();
      }
    }

    it('with a limit: no request comes from the watch itself; each look is a marqtune-read workflow', async () => {
      const { watches, origins, taskQueue } = await marqtuneReadOrigins(50);
      expect(watches.length).toBeGreaterThan(0);
      expect(origins.filter((o) => watches.includes(o))).toEqual([]);
      expect(origins.filter((o) => o.startsWith(`${taskQueue}/marqtune-read-model-`)).length).toBeGreaterThan(
        0,
      );
    }, 180_000);

    it('without a limit the watch reads Marqtune itself (what the test above tells apart)', async () => {
      const { watches, origins } = await marqtuneReadOrigins(undefined);
      expect(origins.filter((o) => watches.includes(o)).length).toBeGreaterThan(0);
      expect(origins.filter((o) => o.includes('/marqtune-read-'))).toEqual([]);
    }, 180_000);
  });
});

describe('TENSORONE_MAX_RPS across two worker processes (the production worker, src/worker.ts)', () => {
  // 8, not 4: the same number of calls in half the time. Dispatching at the full limit instead of half
  // (a bucket's burst doubling a second) shows here as 12 and 13 in a second against 8 (5 and 8 against 4).
  const RPS = 8;
  const taskQueue = uniqueTaskQueue('rps');
  let sandbox: Sandbox;
  let dev: DevServerHandle;
  const workers: { process: ChildProcess; stderr: () => string }[] = [];

  beforeAll(async () => {
    ({ sandbox } = await startTestSandbox());
    dev = await connectDevServer();
    let bundle = testWorkflowBundle(true);
    if (!bundle) {
      bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-rps-')), 'workflow-bundle.js');
      await writeWorkflowBundle(bundle);
    }
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
        cwd: repo,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: dev.address,
          TEMPORAL_TASK_QUEUE: taskQueue,
          WORKER_WORKFLOW_BUNDLE: bundle,
          WORKER_SHUTDOWN_GRACE_SECONDS: '2',
          SANDBOX_URL: sandbox.url,
          TENSORONE_MAX_RPS: String(RPS),
          LOG_LEVEL: 'ERROR',
        },
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      workers.push({ process: child, stderr: () => stderr });
    }
    for (let i = 0; i < 240 && !workers.every((w) => w.stderr().includes('worker polling')); i++)
      await new Promise((r) => setTimeout(r, 500));
    for (const w of workers) expect(w.stderr()).toContain('worker polling');
  }, 240_000);

  afterAll(async () => {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.process.exitCode !== null) return resolve();
            w.process.on('exit', () => resolve());
            w.process.kill('SIGTERM');
            setTimeout(() => w.process.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await sandbox?.close();
    await dev?.close();
  });

  it('a look that stops waiting for a queued read and looks again joins the same read: one request', async () => {
    const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('slow-read', 1);
    const faults = sandbox.state.faults;
    // Looks that wait 6 s (a worker's wait 20 s; what is checked is the joining, not the length).
    const lookWaitsMs = 6000;
    // This job's read takes 7 s: longer than one look waits, shorter than two (and the read's 2 min).
    // First of the block: no provider activities of the tests below are queued before it.
    sandbox.state.faults = {
      ...faults,
      latencyMs: 7000,
      routePattern: `^/tensorone/v2/training/jobs/${jobId}$`,
    };
    try {
      // Each look is an activity attempt of its own (its own context, its own wait).
      const look = () => new MockActivityEnvironment({ taskQueue } as never, { client: dev.client });
      const reads = readsAtProviderRate(lookWaitsMs);
      await expect(look().run(() => reads.getJob(jobId))).rejects.toMatchObject({
        type: 'PROVIDER_QUEUE_BUSY',
        nonRetryable: false,
      });
      const job = (await look().run(() => reads.getJob(jobId))) as { id: string };
      expect(job.id).toBe(jobId);
      const jobReads = sandbox.state.requestLog.filter(
        (r) => r.method === 'GET' && r.path.endsWith(`/v2/training/jobs/${jobId}`),
      );
      expect(jobReads).toHaveLength(1);
      expect(jobReads[0]!.origin).toContain(`${taskQueue}/tensorone-read-job-${jobId}/`);
    } finally {
      sandbox.state.faults = faults;
    }
  }, 90_000);

  it('the server dispatches the provider queue to both processes together at the limit: counted at the sandbox', async () => {
    const admin = sandboxAdmin(sandbox.url);
    const jobIds: string[] = [];
    for (let i = 0; i < 4; i++) jobIds.push((await admin.seedCompletedJob(`rps-${i}`, 2000)).jobId);
    const fromMs = Date.now();
    // Four dry runs at once, each listing its job's checkpoints 8 pages at a time: 40 one-call
    // activities, asked for far faster than the limit.
    const results = await Promise.all(
      jobIds.map((jobId) =>
        dev.client.workflow.execute(checkpointCleanup, {
          args: [{ jobIds: [jobId], retention: { keepLastN: 3 }, dryRun: true } satisfies CleanupInput],
          taskQueue,
          workflowId: `${taskQueue}-${jobId}`,
        }),
      ),
    );
    for (const result of results) expect(result.examined).toBeGreaterThan(0);

    const calls = sandbox.state.requestLog
      .filter((r) => r.at >= fromMs && /\/v2\/training\/jobs\/[^/]+\/checkpoints$/.test(r.path))
      .map((r) => r.at);
    expect(calls.length).toBeGreaterThanOrEqual(40);
    // Held per second, not only on average: one process alone at the limit would be near it, two
    // processes each held to it by themselves twice over it, a queue split in partitions over it in bursts.
    expect(busiestWindow(calls, 1000)).toBeLessThanOrEqual(RPS);
    expect(busiestWindow(calls, 5000)).toBeLessThanOrEqual(5 * RPS);

    // Both processes poll the provider queue (the limit is the queue's, not a process's).
    const described = await dev.client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: `${taskQueue}--tensorone` },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    expect(new Set(described.pollers!.map((p) => p.identity)).size).toBe(2);
  }, 180_000);

  it('pipelines started together create their jobs at the limit: one request per provider activity, none in a burst', async () => {
    const fromMs = Date.now();
    const handles = await Promise.all(
      Array.from({ length: 2 * RPS }, (_, i) =>
        dev.client.workflow.start(fineTuneToDeploy, {
          args: [pipelineInput(`rps-burst-${i}`)],
          taskQueue,
          workflowId: `${taskQueue}-burst-${i}`,
        }),
      ),
    );
    const jobsMade = () =>
      sandbox.state.requestLog.filter(
        (r) => r.at >= fromMs && r.method === 'POST' && r.path.endsWith('/training/jobs'),
      );
    for (let i = 0; i < 240 && jobsMade().length < handles.length; i++)
      await new Promise((r) => setTimeout(r, 250));
    await Promise.all(handles.map((h) => h.cancel()));
    await Promise.all(handles.map((h) => h.result().catch(() => undefined)));
    expect(jobsMade()).toHaveLength(handles.length);
    const calls = sandbox.state.requestLog
      .filter((r) => r.at >= fromMs && r.path.startsWith('/tensorone/'))
      .map((r) => r.at);
    expect(busiestWindow(calls, 1000)).toBeLessThanOrEqual(RPS);
  }, 180_000);

  it('cleanup deletions are held to the limit too: one activity per deletion on the provider queue', async () => {
    const admin = sandboxAdmin(sandbox.url);
    const jobIds: string[] = [];
    for (let i = 0; i < 2; i++) jobIds.push((await admin.seedCompletedJob(`rps-del-${i}`, 30)).jobId);
    const fromMs = Date.now();
    const results = await Promise.all(
      jobIds.map((jobId) =>
        dev.client.workflow.execute(checkpointCleanup, {
          args: [{ jobIds: [jobId], retention: { keepLastN: 3 }, concurrency: 8 } satisfies CleanupInput],
          taskQueue,
          workflowId: `${taskQueue}-del-${jobId}`,
        }),
      ),
    );
    const deletes = sandbox.state.requestLog
      .filter((r) => r.at >= fromMs && r.method === 'DELETE' && r.path.includes('/v2/training/checkpoints/'))
      .map((r) => r.at);
    const deletedCount = results.reduce((n, r) => n + r.deletedCount, 0);
    expect(deletedCount).toBeGreaterThanOrEqual(40);
    expect(deletes.length).toBe(deletedCount);
    for (const start of deletes) {
      const inWindow = deletes.filter((t) => t >= start && t < start + 5000).length;
      expect(inWindow).toBeLessThanOrEqual(5 * RPS + RPS);
    }
    const deleteSpanSeconds = (Math.max(...deletes) - Math.min(...deletes)) / 1000;
    expect(deletes.length).toBeLessThanOrEqual(RPS * deleteSpanSeconds + RPS);
    // The cleanup's own history holds a child per batch, not an activity per deletion.
    const history = await dev.client.workflow.getHandle(`${taskQueue}-del-${jobIds[0]}`).fetchHistory();
    const activities = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(activities).not.toContain('deleteCheckpoints');
    expect(activities).not.toContain('leaseAndDeleteCheckpoints');
    expect(activities).not.toContain('deleteCheckpoint');
    const children = (history.events ?? [])
      .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name)
      .filter(Boolean);
    expect(children).toEqual(['deleteCheckpointsAtProviderRate']);
  }, 180_000);

  // The tuned dev server hands an activity on the workflow's own queue to the worker that scheduled it
  // (eager dispatch, engine/dev-server-tuning.ts) without the matching service, so without its queue's
  // rate limit. The core SDK asks for that only for an activity on the worker's own task queue: a
  // provider activity, on `<queue>--<provider>`, always goes through matching and its limit.
  it('eager dispatch starts the workflow queue activities of the runs above, never a provider queue one', async () => {
    const url = process.env.FTP_TEST_TEMPORAL_METRICS;
    if (!url)
      throw new Error(
        'FTP_TEST_TEMPORAL_METRICS is unset: run tests through `npm test` (jest global setup).',
      );
    const text = await (await fetch(url)).text();
    // The server's Prometheus names: a task queue's characters other than letters and digits become `_`.
    const label = (queue: string) => `taskqueue="${queue.replace(/[^A-Za-z0-9]/g, '_')}"`;
    const eagerStarts = (queue: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('activity_eager_execution{') && line.includes(label(queue)))
        .reduce((n, line) => n + Number(line.split(' ').pop()), 0);
    expect(eagerStarts(taskQueue)).toBeGreaterThan(0);
    // The provider queue is named so in the server's other metrics (its polls and dispatches): its
    // absence from the eager count is not a name that matches nothing.
    expect(text).toContain(label(`${taskQueue}--tensorone`));
    expect(eagerStarts(`${taskQueue}--tensorone`)).toBe(0);
  }, 30_000);
});

/** The most requests (times in ms) in any window of `ms` that starts at a request. */
function busiestWindow(times: number[], ms: number): number {
  return Math.max(0, ...times.map((start) => times.filter((t) => t >= start && t < start + ms).length));
}
