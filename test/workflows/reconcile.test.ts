import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import type { ReconcileEntry, ReconcileResult } from '../../src/decisions/reconcile';
import { pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import { createTensorOneClient } from '../../src/providers/tensorone/client';
import { fineTuneToDeploy, reconcileOrphans } from '../../src/workflows';
import { statusQuery } from '../../src/workflows/pipeline/contract';
import { superviseWorkflowId } from '../../src/workflows/supervise/contract';
import { startTimeSkippingEnv } from '../harness/temporal';
import { advanceUntil, MINUTE, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';

/**
 * The orphan reconciler on virtual time against the sandbox: pipelines terminated mid-training and
 * mid-deploy leave billed resources it finds and stops or removes; what a running pipeline holds, what
 * a serving slot serves and hand-made resources whose names only look like a run's stay untouched.
 */
let env: TestWorkflowEnvironment;
let bed: WorkflowTestBed;
beforeAll(async () => {
  env = await startTimeSkippingEnv();
  bed = await startWorkflowTestBed({}, { shared: env });
});
afterAll(async () => {
  await bed?.teardown();
  await env?.teardown();
});

const GRACE = 10 * MINUTE;
const long = (epochs: number) =>
  tensoroneTrain({ config: { strategy: 'lora', training: { epochs, learning_rate: 2e-4 } } });

const start = (input: PipelineInput, on = bed): Promise<WorkflowHandle<typeof fineTuneToDeploy>> =>
  on.env.client.workflow.start(fineTuneToDeploy, {
    args: [input],
    taskQueue: on.taskQueue,
    workflowId: pipelineWorkflowId(input.name),
  });
const reconcile = (dryRun: boolean, on = bed): Promise<ReconcileResult> =>
  on.env.client.workflow.execute(reconcileOrphans, {
    args: [{ dryRun, graceMs: GRACE }],
    taskQueue: on.taskQueue,
    workflowId: `reconcile-${dryRun ? 'dry' : 'real'}-${Date.now()}`,
  });

const jobOf = (name: string, on = bed) =>
  [...on.sandbox.state.jobs.values()]
    .filter((j) => j.name.startsWith(`pipeline-${name}--r`))
    .map((j) => on.sandbox.state.advance(j))[0];
const endpointOf = (name: string, on = bed) =>
  [...on.sandbox.state.endpoints.values()].find((e) => e.name.startsWith(`pipeline-${name}--r`));
const jobStatus = (id: string, on = bed) => on.sandbox.state.advance(on.sandbox.state.jobs.get(id)!).status;
const entry = (result: ReconcileResult, id: string): ReconcileEntry | undefined =>
  result.resources.find((r) => r.id === id);

/**
 * Terminates a pipeline as an operator would, with its supervision child: a Temporal server terminates
 * the child with its parent (the default parent-close policy), which the test server does not do.
 */
async function terminate(handle: WorkflowHandle, reason: string, on = bed): Promise<void> {
  await handle.terminate(reason);
  for (const job of on.sandbox.state.jobs.values())
    if (job.name.startsWith(`${handle.workflowId}--r`))
      await on.env.client.workflow
        .getHandle(superviseWorkflowId('tensorone', job.id))
        .terminate(reason)
        .catch(() => undefined);
}

/**
 * Advances virtual time until the pipeline's deployment exists, at most 12 virtual hours (a one-epoch job
 * deploys within the first); fails saying where the pipeline stands instead of running into jest's timeout.
 */
async function advanceUntilDeploying(name: string, on = bed): Promise<void> {
  try {
    await advanceUntil(on.env, async () => endpointOf(name, on), MINUTE, 12 * 60);
  } catch {
    const status = await on.env.client.workflow
      .getHandle(pipelineWorkflowId(name))
      .query(statusQuery)
      .then((s) => JSON.stringify(s), String);
    throw new Error(`${name} created no deployment in 12 virtual hours; its status: ${status}`);
  }
}

/** Names that look like a pipeline run's and are not: each must survive every reconcile. */
const LOOK_ALIKES = [
  'pipeline-orphan-a--r0123456789a--train-a100',
  'pipeline-orphan-a--r0123456789abc--train-a100',
  'pipeline-orphan-a--r0123456789AB--train-a100',
  'my-pipeline-orphan-a--r0123456789ab--train-a100',
  'pipelineorphan-a--r0123456789ab--train-a100',
  'pipeline-orphan-a-r0123456789ab-train-a100',
  'pipeline-orphan-a--train-a100',
];

it('stops 5 of 5 jobs and endpoints whose pipelines were terminated mid-training or mid-deploy, and touches nothing it must not', async () => {
  const client = createTensorOneClient(bed.sandbox.endpoints.tensorone);
  const config = { strategy: 'lora', training: { epochs: 80, learning_rate: 2e-4 } };
  const lookAlikeJobs = await Promise.all(
    LOOK_ALIKES.map((name) =>
      client.jobs.create({ name, modelType: 'llm', datasetId: 'ds_support_tickets', config }),
    ),
  );

  await bed.withWorker(async () => {
    // A pipeline that deploys and is promoted: its endpoint serves the slot of its name.
    const served = await (await start(pipelineInput('orphan-served', { train: long(1) }))).result();
    expect(served.outcome).toBe('deployed');

    // Three terminated while training (long jobs), two while their endpoint deploys, one left running.
    const training = ['orphan-t1', 'orphan-t2', 'orphan-t3'];
    const deploying = ['orphan-d1', 'orphan-d2'];
    const handles = new Map<string, WorkflowHandle>();
    for (const name of training) handles.set(name, await start(pipelineInput(name, { train: long(80) })));
    for (const name of deploying) handles.set(name, await start(pipelineInput(name, { train: long(1) })));
    const running = await start(pipelineInput('orphan-running', { train: long(80) }));

    await advanceUntil(
      bed.env,
      async () =>
        deploying.every((n) => endpointOf(n)) &&
        [...training, 'orphan-running'].every((n) => jobOf(n)?.status === 'running'),
    );
    for (const name of deploying) expect(endpointOf(name)!.name).toMatch(/--deploy$/);
    for (const name of [...training, ...deploying])
      await terminate(handles.get(name)!, `operator: mid-${training.includes(name) ? 'training' : 'deploy'}`);

    const orphans = [
      ...training.map((n) => ({ id: jobOf(n)!.id, kind: 'training-job' })),
      ...deploying.map((n) => ({ id: endpointOf(n)!.id, kind: 'endpoint' })),
    ];
    const servedEndpoint = served.deployment!.id;
    const runningJob = jobOf('orphan-running')!.id;

    // Within the grace: everything is kept, and says why.
    const early = await reconcile(false);
    for (const o of orphans)
      expect(entry(early, o.id)).toMatchObject({
        action: 'keep',
        reason: expect.stringMatching(/within the grace/),
      });

    await bed.env.sleep(GRACE + MINUTE);

    // A dry run past the grace says what it would do and changes nothing.
    const dry = await reconcile(true);
    for (const o of orphans)
      expect(entry(dry, o.id)).toMatchObject({
        kind: o.kind,
        action: o.kind === 'training-job' ? 'stop' : 'remove',
        owner: { state: 'closed' },
      });
    expect(dry.resources.every((r) => r.outcome === undefined)).toBe(true);
    for (const n of training) expect(jobOf(n)!.status).toBe('running');
    for (const n of deploying) expect(endpointOf(n)).toBeDefined();

    const result = await reconcile(false);
    const acted = result.resources.filter((r) => r.outcome === 'stopped' || r.outcome === 'removed');
    expect(acted.map((r) => r.id).sort()).toEqual(orphans.map((o) => o.id).sort());
    for (const n of training) expect(jobOf(n)!.status).toBe('stopped');
    for (const n of deploying) expect(endpointOf(n)).toBeUndefined();

    // Untouched: the running pipeline's job, the served endpoint, the look-alikes.
    expect(entry(result, runningJob)).toMatchObject({ action: 'keep', reason: 'its owner is running' });
    expect(jobStatus(runningJob)).toBe('running');
    expect(entry(result, servedEndpoint)).toMatchObject({
      action: 'keep',
      reason: 'serving slot orphan-served serves it',
    });
    expect(bed.sandbox.state.endpoints.has(servedEndpoint)).toBe(true);
    for (const j of lookAlikeJobs) {
      expect(entry(result, j.id)).toBeUndefined();
      expect(jobStatus(j.id)).not.toBe('stopped');
    }
    expect(result.notOurs).toBeGreaterThanOrEqual(LOOK_ALIKES.length);
    expect(result.unseen).toEqual([]);
    await terminate(running, 'test over');
  });
}, 300_000);

describe('on the documented profile (no endpoint or served-model list, no delete route)', () => {
  // A server of its own: the first bed's long-lived workflows (slots, registry) do not wake on this clock.
  let documentedEnv: TestWorkflowEnvironment;
  let documented: WorkflowTestBed;
  beforeAll(async () => {
    documentedEnv = await startTimeSkippingEnv();
    documented = await startWorkflowTestBed(
      { profile: 'documented', unknownRoute: 'method-not-allowed' },
      { shared: documentedEnv, providerQueues: true, tensoroneMaxRps: 50 },
    );
  });
  afterAll(async () => {
    await documented?.teardown();
    await documentedEnv?.teardown();
  });

  it('reports what it cannot see, finds registry deployments through the documented registry, asks a hand removal, and stops a job whose owner is absent', async () => {
    const client = createTensorOneClient(documented.sandbox.endpoints.tensorone);
    // Named as a run of a pipeline this namespace never ran (a reset namespace, a past retention).
    const ghost = await client.jobs.create({
      name: 'pipeline-ghost--r0123456789ab--train-a100',
      modelType: 'llm',
      datasetId: 'ds_support_tickets',
      config: { strategy: 'lora', training: { epochs: 80, learning_rate: 2e-4 } },
    });
    await documented.withWorker(async () => {
      const handle = await start(
        pipelineInput('orphan-registry', {
          train: long(1),
          deploy: { target: 'tensorone-registry', environment: 'staging', gpuType: 'a100', workers: 1 },
        }),
        documented,
      );
      await advanceUntilDeploying('orphan-registry', documented);
      await terminate(handle, 'operator: mid-deploy', documented);
      const deployment = endpointOf('orphan-registry', documented)!;
      await documented.env.sleep(GRACE + MINUTE);

      const result = await reconcile(false, documented);
      expect(result.unseen.map((u) => u.what)).toEqual([
        'TensorOne checkpoint endpoints',
        'TensorMesh served models',
      ]);
      expect(entry(result, deployment.id)).toMatchObject({
        kind: 'registry-deployment',
        action: 'remove-by-hand',
        outcome: 'remove by hand',
        owner: { workflowId: 'pipeline-orphan-registry', state: 'closed' },
      });
      expect(documented.sandbox.state.endpoints.has(deployment.id)).toBe(true);
      expect(entry(result, ghost.id)).toMatchObject({
        action: 'stop',
        outcome: 'stopped',
        owner: { state: 'absent' },
        reason: expect.stringMatching(/its owner is absent .* past the grace/),
      });
      expect(jobStatus(ghost.id, documented)).toBe('stopped');
    });
  }, 300_000);
});
