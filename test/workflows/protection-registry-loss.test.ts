import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { createProviderClients } from '../../src/providers/config';
import { servingSlots } from '../../src/clients/serving-slots';
import { createWorkerGroup, type WorkerGroup } from '../../src/worker-factory';
import { connectDevServer, uniqueTaskQueue, type DevServerHandle } from '../harness/temporal';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { pipelineWorkflowId } from '../../src/domain/pipeline-input';
import { protectionRegistry } from '../../src/clients/protection-registry';
import { approveUpdate, pinUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import {
  protectionRegistryId,
  protectionStateQuery,
  type ProtectionRegistryInput,
} from '../../src/workflows/protection/contract';
import type { CleanupInput } from '../../src/workflows/cleanup/contract';
import { checkpointCleanup, checkpointProtection, fineTuneToDeploy, servingSlot } from '../../src/workflows';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { advanceUntil, HOUR, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { testWorkerSettings, testWorkflowCode } from '../harness/workflow-bundles';

/**
 * The protection registry is the record of what no cleanup may delete. Terminated (as an operator does
 * with a workflow that looks stuck), the run that replaces it rebuilds that record before it lets any
 * cleanup delete; continued as new (its history limit), it carries it.
 */
let bed: WorkflowTestBed;
beforeAll(async () => {
  bed = await startWorkflowTestBed();
});
afterAll(() => bed?.teardown());

const registryHandle = () => bed.env.client.workflow.getHandle(protectionRegistryId(bed.taskQueue));
const registry = () => protectionRegistry(bed.env.client, bed.taskQueue);
const terminateRegistry = () => registryHandle().terminate('looks stuck');
const idsOf = (jobId: string) => bed.sandbox.state.jobCheckpoints(jobId).map((c) => c.id);
const future = async () => (await bed.env.currentTimeMs()) + 48 * HOUR;
const pin = (checkpointId: string, workflowId = 'operator') => ({
  checkpointId,
  kind: 'pinned' as const,
  workflowId,
  runId: 'r1',
  at: '',
});

it('a terminated registry: a cleanup with keep 0 deletes neither the pinned checkpoint nor the candidate awaiting approval, and approve then deploys it', async () => {
  const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
    args: [
      pipelineInput('registry-lost', {
        train: tensoroneTrain({ config: { training: { epochs: 10 } } }),
        gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
        cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
      }),
    ],
    taskQueue: bed.taskQueue,
    workflowId: pipelineWorkflowId('registry-lost'),
  });
  const { waiting, pinned } = await bed.withWorker(async () => {
    const waiting = await advanceUntil(bed.env, async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'awaiting-approval' ? s : undefined;
    });
    // `starter pin` on a running pipeline: an automatic checkpoint that is not the candidate.
    const pinned = [1, 2, 3]
      .map((e) => `ckpt_${waiting.jobId!.slice(4)}_e${e}`)
      .find((id) => id !== waiting.candidate!.checkpointId)!;
    expect((await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: pinned }] })).result).toBe(
      'pinned',
    );
    return { waiting, pinned };
  });
  const jobId = waiting.jobId!;
  const candidate = waiting.candidate!.checkpointId;
  expect(idsOf(jobId)).toEqual(expect.arrayContaining([candidate, pinned]));

  await terminateRegistry();
  // Through a client that does not skip time: the pipeline's approval window stays open meanwhile.
  const plain = new Client({ connection: bed.env.connection, namespace: bed.env.namespace });
  const cleanup = (input: CleanupInput, workflowId: string) =>
    bed.withWorker(() =>
      plain.workflow.execute(checkpointCleanup, { args: [input], taskQueue: bed.taskQueue, workflowId }),
    );
  // The next lease starts the registry again: here a cleanup of another job.
  const { jobId: other } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('registry-lost-other', 6);
  const first = await cleanup({ jobIds: [other], retention: { keepLastN: 0 } }, 'cleanup-after-loss-1');
  expect(first.deletedCount).toBeGreaterThan(0);

  const second = await cleanup({ jobIds: [jobId], retention: { keepLastN: 0 } }, 'cleanup-after-loss-2');
  expect(second.deletedCount).toBeGreaterThan(0); // it did clean that job
  expect(second.deleted.map((d) => d.checkpointId)).not.toContain(pinned);
  expect(second.deleted.map((d) => d.checkpointId)).not.toContain(candidate);
  expect(idsOf(jobId)).toEqual(expect.arrayContaining([candidate, pinned]));

  // The registry says where it found what it holds.
  const state = await registryHandle().query(protectionStateQuery);
  expect(state.rebuilding).toBeUndefined();
  expect(state.rebuiltFrom?.join('; ')).toMatch(/records and \d+ leases of run /);

  const approved = await bed.withWorker(async () => {
    await handle.executeUpdate(approveUpdate, { args: [{ checkpointId: candidate, by: 'ada' }] });
    return handle.result();
  });
  expect(approved.outcome).toBe('deployed');
  expect(approved.checkpoint?.checkpointId).toBe(candidate);
  expect(approved.deployment?.status).toBe('active');
});

it('a lease held when the registry was terminated still holds: a pipeline claiming the checkpoint is told it is being deleted', async () => {
  await bed.withWorker(async () => {
    const lease = await registry().lease({
      workflowId: 'cleanup-holding-leases',
      runId: 'r1',
      checkpointIds: ['ckpt_leased_e1'],
      endedHolders: [],
      untilMs: await future(),
    });
    expect(lease.granted).toEqual(['ckpt_leased_e1']);
    await terminateRegistry();
    const claim = await registry().claim([
      { checkpointId: 'ckpt_leased_e1', kind: 'candidate', workflowId: 'pipeline-x', runId: 'r1', at: '' },
    ]);
    expect(claim).toEqual({
      recorded: [],
      beingDeleted: [{ checkpointId: 'ckpt_leased_e1', by: 'cleanup-holding-leases' }],
    });
    await registry().release({ workflowId: 'cleanup-holding-leases', runId: 'r1' });
  });
});

it('terminated twice: pins recorded before either termination still refuse a lease', async () => {
  await bed.withWorker(async () => {
    await registry().claim([pin('ckpt_twice_e1')]);
    await terminateRegistry();
    await registry().claim([pin('ckpt_twice_e2')]);
    await terminateRegistry();
    const answer = await registry().lease({
      workflowId: 'cleanup-after-two-terminations',
      runId: 'r1',
      checkpointIds: ['ckpt_twice_e1', 'ckpt_twice_e2', 'ckpt_twice_e3'],
      endedHolders: [],
      untilMs: await future(),
    });
    expect(answer.granted).toEqual(['ckpt_twice_e3']);
    expect(answer.refused).toEqual([
      { checkpointId: 'ckpt_twice_e1', reason: 'pinned in operator' },
      { checkpointId: 'ckpt_twice_e2', reason: 'pinned in operator' },
    ]);
    await registry().release({ workflowId: 'cleanup-after-two-terminations', runId: 'r1' });
  });
});

it('while the run before cannot be read, a cleanup deletes nothing and its result says why', async () => {
  await terminateRegistry().catch(() => undefined);
  // The latest run under the registry's id cannot be read as a registry: another workflow ran there.
  const squatter = await bed.env.client.workflow.start(servingSlot, {
    args: [{ name: 'not-a-registry' }],
    taskQueue: bed.taskQueue,
    workflowId: protectionRegistryId(bed.taskQueue),
  });
  await squatter.terminate('started under the wrong id');
  // Started again as every caller starts it: naming the run before. Its rebuild never ends here, so a
  // lease waits for it 2 s (instead of 20 s) before it is refused.
  await bed.env.client.workflow.start(checkpointProtection, {
    args: [{ predecessorRunId: squatter.firstExecutionRunId, leaseWaitsForRebuildMs: 2000 }],
    taskQueue: bed.taskQueue,
    workflowId: protectionRegistryId(bed.taskQueue),
  });
  const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('registry-unreadable', 6);
  const result = await bed.withWorker(() =>
    bed.env.client.workflow.execute(checkpointCleanup, {
      args: [{ jobIds: [jobId], retention: { keepLastN: 0 } } satisfies CleanupInput],
      taskQueue: bed.taskQueue,
      workflowId: 'cleanup-registry-unreadable',
    }),
  );
  expect(result.deletedCount).toBe(0);
  expect(idsOf(jobId)).toHaveLength(8);
  expect(result.spared).toHaveLength(6);
  expect(result.spared?.[0].reason).toMatch(
    new RegExp(
      `^the protection registry started anew at .* and is rebuilding what is in use from its run ${squatter.firstExecutionRunId} and the live workflows: nothing is deleted until it has$`,
    ),
  );
  const state = await registryHandle().query(protectionStateQuery);
  expect(state.rebuilding?.predecessorRunId).toBe(squatter.firstExecutionRunId);
  await terminateRegistry();
});

it('a lease that waits the whole default 20 s for a rebuild is answered: the cleanup keeps everything and says why, rather than timing out', async () => {
  await terminateRegistry().catch(() => undefined);
  const squatter = await bed.env.client.workflow.start(servingSlot, {
    args: [{ name: 'not-a-registry-either' }],
    taskQueue: bed.taskQueue,
    workflowId: protectionRegistryId(bed.taskQueue),
  });
  await squatter.terminate('started under the wrong id');
  // The registry's own wait (20 s) outlasts the deletion batch's heartbeat timeout (15 s): the lease,
  // asked inside the batch's activity, is still answered with the refusal.
  await bed.env.client.workflow.start(checkpointProtection, {
    args: [{ predecessorRunId: squatter.firstExecutionRunId }],
    taskQueue: bed.taskQueue,
    workflowId: protectionRegistryId(bed.taskQueue),
  });
  const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('registry-unreadable-20s', 6);
  const workflowId = 'cleanup-registry-unreadable-20s';
  const result = await bed.withWorker(() =>
    bed.env.client.workflow.execute(checkpointCleanup, {
      args: [{ jobIds: [jobId], retention: { keepLastN: 0 } } satisfies CleanupInput],
      taskQueue: bed.taskQueue,
      workflowId,
    }),
  );
  expect(result.deletedCount).toBe(0);
  expect(idsOf(jobId)).toHaveLength(8);
  expect(result.spared).toHaveLength(6);
  expect(result.spared?.[0].reason).toMatch(
    /is rebuilding what is in use from its run .* nothing is deleted until it has$/,
  );
  // One attempt: the lease's wait did not cost the batch its heartbeat.
  const events = (await bed.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const timedOut = events.filter((e) => e.activityTaskTimedOutEventAttributes);
  expect(timedOut).toEqual([]);
  const started = events.flatMap((e) => e.activityTaskStartedEventAttributes ?? []);
  expect(started.every((s) => (s.attempt ?? 1) === 1)).toBe(true);
  await terminateRegistry();
}, 90_000);

it('continued as new at its history limit, the registry keeps its claims, pins and leases', async () => {
  await terminateRegistry().catch(() => undefined);
  const first = await bed.env.client.workflow.start(checkpointProtection, {
    args: [{ historyEventLimit: 30 }],
    taskQueue: bed.taskQueue,
    workflowId: protectionRegistryId(bed.taskQueue),
  });
  await bed.withWorker(async () => {
    await registry().claim([pin('ckpt_can_pinned')]);
    await registry().claim([
      {
        checkpointId: 'ckpt_can_candidate',
        kind: 'candidate',
        workflowId: 'pipeline-can',
        runId: 'r1',
        at: '',
      },
    ]);
    const lease = await registry().lease({
      workflowId: 'cleanup-can',
      runId: 'r1',
      checkpointIds: ['ckpt_can_leased'],
      endedHolders: [],
      untilMs: await future(),
    });
    expect(lease.granted).toEqual(['ckpt_can_leased']);
    // Each claim adds a few events: enough of them reach the limit.
    for (let i = 0; (await registryHandle().describe()).runId === first.firstExecutionRunId; i++) {
      if (i > 40) throw new Error('the registry never continued as new');
      await registry().claim([pin(`ckpt_can_filler_${i}`, 'filler')]);
    }
    const continued = await registryHandle().describe();
    expect(continued.status.name).toBe('RUNNING');
    const state = await registryHandle().query(protectionStateQuery);
    expect(state.rebuilding).toBeUndefined();
    expect(state.rebuiltFrom).toBeUndefined(); // carried, not rebuilt
    expect(state.leases.map((l) => l.checkpointId)).toEqual(['ckpt_can_leased']);

    // The leased checkpoint is still on its way out: a pipeline's claim of it is refused.
    expect(
      await registry().claim([
        {
          checkpointId: 'ckpt_can_leased',
          kind: 'candidate',
          workflowId: 'pipeline-late',
          runId: 'r1',
          at: '',
        },
      ]),
    ).toEqual({ recorded: [], beingDeleted: [{ checkpointId: 'ckpt_can_leased', by: 'cleanup-can' }] });
    // The pin and the candidate of a running pipeline still refuse another cleanup's lease.
    const answer = await registry().lease({
      workflowId: 'cleanup-after-can',
      runId: 'r1',
      checkpointIds: ['ckpt_can_pinned', 'ckpt_can_candidate', 'ckpt_can_free'],
      endedHolders: [],
      untilMs: await future(),
    });
    expect(answer).toEqual({
      granted: ['ckpt_can_free'],
      refused: [
        { checkpointId: 'ckpt_can_pinned', reason: 'pinned in operator' },
        { checkpointId: 'ckpt_can_candidate', reason: 'candidate of running pipeline-can' },
      ],
    });
  });
});

/**
 * On a server with visibility (the dev server): the registry's history is gone altogether (terminated,
 * then deleted), so the run started anew has no run before it to read and rebuilds from what the live
 * workflows hold. Real time: a pipeline adopting a finished job reaches its approval in seconds.
 */
describe('its history gone: rebuilt from the live workflows', () => {
  let dev: DevServerHandle;
  let sandbox: Sandbox;
  let group: WorkerGroup;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('registry-gone');
  beforeAll(async () => {
    dev = await connectDevServer();
    sandbox = await startSandbox({ epochMs: 1000, queueMs: 100, deployMs: 300, seed: 11 });
    group = await createWorkerGroup({
      connection: dev.nativeConnection,
      taskQueue,
      providers: createProviderClients(sandbox.endpoints),
      settings: testWorkerSettings(),
      overrides: { shutdownGraceTime: 0 },
    });
    running = group.run();
  });
  afterAll(async () => {
    group?.shutdown();
    await running;
    await sandbox?.close();
    await dev?.close();
  });

  /** Polls in real time. */
  async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    for (const deadline = Date.now() + ms; Date.now() < deadline;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('condition not reached in real time');
  }

  it('a cleanup with keep 0 keeps the candidate awaiting approval, the pin and what a serving slot serves; approve then deploys', async () => {
    const { client } = dev;
    const { jobId } = await sandboxAdmin(sandbox.url).seedCompletedJob('registry-gone', 10);
    const ckpt = (e: number) => `ckpt_${jobId.slice(4)}_e${e}`;
    const handle = await client.workflow.start(fineTuneToDeploy, {
      args: [
        pipelineInput('registry-gone', {
          train: { kind: 'tensorone-existing', jobId },
          // Looks a second apart: in real time the finished job is seen at once.
          supervision: {
            freshness: '2s',
            minInterval: '1s',
            stallAfter: '30m',
            resumeBudget: 2,
            unknownStatusGrace: '30m',
          },
          gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
          // Looks at the endpoint a second apart (a 60th of the timeout), not 15 s: it serves in 300 ms.
          deploy: { target: 'tensorone-endpoint', gpuIds: ['a100'], workerCount: 1, timeout: '1m' },
          cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
        }),
      ],
      taskQueue,
      workflowId: pipelineWorkflowId('registry-gone'),
    });
    const waiting = await waitFor(async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'awaiting-approval' ? s : undefined;
    });
    const candidate = waiting.candidate!.checkpointId;
    const [pinned, served] = [1, 2, 3, 4].map(ckpt).filter((id) => id !== candidate);
    expect((await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: pinned }] })).result).toBe(
      'pinned',
    );
    // Another name's slot serves a third checkpoint of the job.
    await servingSlots(client, taskQueue).promote('registry-gone-served', {
      deployment: {
        target: 'tensorone-endpoint',
        deploymentId: 'ep_served',
        checkpointId: served,
        jobId,
        workflowId: 'pipeline-registry-gone-served',
        runId: 'r1',
      },
      retireAfterMs: 3_600_000,
    });

    const registryId = protectionRegistryId(taskQueue);
    const lost = await client.workflow.getHandle(registryId).describe();
    await client.workflow.getHandle(registryId).terminate('looks stuck');
    await client.workflowService.deleteWorkflowExecution({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: registryId, runId: lost.runId },
    });
    await waitFor(() =>
      client.workflow
        .getHandle(registryId)
        .describe()
        .then(
          () => undefined,
          (err: unknown) => (err instanceof WorkflowNotFoundError ? true : undefined),
        ),
    );

    const cleaned = await client.workflow.execute(checkpointCleanup, {
      args: [{ jobIds: [jobId], retention: { keepLastN: 0 } } satisfies CleanupInput],
      taskQueue,
      workflowId: `${taskQueue}-cleanup`,
    });
    expect(cleaned.deletedCount).toBeGreaterThan(0);
    const left = sandbox.state.jobCheckpoints(jobId).map((c) => c.id);
    expect(left).toEqual(expect.arrayContaining([candidate, pinned, served]));
    const state = await client.workflow.getHandle(registryId).query(protectionStateQuery);
    expect(state.rebuiltFrom).toContain('no run before this one was named');
    expect(state.rebuiltFrom?.join('; ')).toMatch(/of 1 running pipelines and 1 serving slots/);

    await handle.executeUpdate(approveUpdate, { args: [{ checkpointId: candidate, by: 'ada' }] });
    const approved = await handle.result();
    expect(approved.outcome).toBe('deployed');
    expect(approved.checkpoint?.checkpointId).toBe(candidate);
  });
});

type RegistryClient = ReturnType<typeof protectionRegistry>;
type RealActivities = ReturnType<typeof createActivities>;

/**
 * On the dev server (the time-skipping server does not time out an attempt by its missed heartbeat): a
 * worker of the product's workflows with some activities replaced runs while `fn` talks to the
 * registry of a task queue of its own, started with `input`; the registry is terminated afterwards.
 */
async function withRegistryOnDevServer<T>(
  name: string,
  input: ProtectionRegistryInput,
  replace: (real: RealActivities) => Partial<RealActivities>,
  fn: (registry: RegistryClient) => Promise<T>,
): Promise<T> {
  const dev = await connectDevServer();
  const taskQueue = uniqueTaskQueue(name);
  const real = createActivities(createProviderClients(bed.sandbox.endpoints));
  try {
    const worker = await Worker.create({
      connection: dev.nativeConnection,
      taskQueue,
      ...testWorkflowCode(),
      shutdownGraceTime: 0,
      shutdownForceTime: '1s',
      activities: { ...real, ...replace(real) },
    });
    // The first run of a registry, as a first caller starts it (nothing before it), with `input`.
    await dev.client.workflow.start(checkpointProtection, {
      args: [input],
      taskQueue,
      workflowId: protectionRegistryId(taskQueue),
    });
    return await worker.runUntil(fn(protectionRegistry(dev.client, taskQueue)));
  } finally {
    await dev.client.workflow
      .getHandle(protectionRegistryId(taskQueue))
      .terminate('test over')
      .catch(() => undefined);
    await dev.close();
  }
}

/** The worker running a rebuild is killed, and the claims waiting on it wait for the retry. */
describe('a rebuild lost with its worker', () => {
  it('is tried again within seconds: a claim waiting on it waits well under the rebuild’s 2 minutes', async () => {
    let rebuilds = 0;
    const startedAt = Date.now();
    const claim = await withRegistryOnDevServer(
      'lost-rebuild',
      // A heartbeat missed for 5 s (instead of 20 s) is a lost attempt: well under the 2 minutes still.
      { rebuildHeartbeatTimeoutMs: 5000 },
      (real) => ({
        // The first attempt of the part a claim waits on never answers and never beats (as if its worker
        // was killed); it ends only when this test's worker shuts down.
        rebuildProtectionFromRunsBefore: (
          input: Parameters<typeof real.rebuildProtectionFromRunsBefore>[0],
        ) => (++rebuilds === 1 ? Context.current().cancelled : real.rebuildProtectionFromRunsBefore(input)),
      }),
      (registry) => registry.claim([pin('ckpt_lost_rebuild_e1', 'pipeline-lost-rebuild')]),
    );
    expect(claim.recorded).toEqual(['ckpt_lost_rebuild_e1']);
    expect(rebuilds).toBe(2);
    expect(Date.now() - startedAt).toBeLessThan(60_000);
  }, 180_000);
});

/**
 * A live pipeline that cannot say what it holds (its workflow task failing) keeps the rebuild from
 * finishing. Claims need only the runs before (their leases), so pipelines go on claiming; every lease is
 * refused (a cleanup keeps everything) until the live part is read.
 */
describe('a live workflow that cannot answer the rebuild', () => {
  it('holds no claim: a pipeline’s claim is recorded, while a cleanup’s lease is refused naming the rebuild', async () => {
    const cannotAnswer = async (): Promise<never> => {
      throw new Error('pipeline-stuck cannot say what it holds (Workflow Task in failed state): asked again');
    };
    await withRegistryOnDevServer(
      'unanswered-rebuild',
      // The lease waits 2 s (instead of 20 s) for the rebuild that cannot end, then is refused.
      { leaseWaitsForRebuildMs: 2000 },
      // Reading the live workflows fails on every attempt, in one part or in the whole rebuild.
      () => ({ rebuildProtection: cannotAnswer, rebuildProtectionFromLiveWorkflows: cannotAnswer }),
      async (registry) => {
        const claimed = await Promise.race([
          registry.claim([pin('ckpt_unanswered_e1', 'pipeline-healthy')]),
          // Unref'd: when the claim wins, this timer does not hold the test process open for 30 s.
          new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), 30_000).unref()),
        ]);
        expect(claimed).toEqual({ recorded: ['ckpt_unanswered_e1'], beingDeleted: [] });
        const lease = await registry.lease({
          workflowId: 'cleanup-while-unanswered',
          runId: 'r1',
          checkpointIds: ['ckpt_unanswered_e2'],
          endedHolders: [],
          untilMs: Date.now() + 3_600_000,
        });
        expect(lease.granted).toEqual([]);
        expect(lease.refused[0].reason).toMatch(/is rebuilding what is in use from the live workflows/);
      },
    );
  }, 180_000);
});
