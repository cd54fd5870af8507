import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { protectionRegistry } from '../../src/clients/protection-registry';
import { servingSlots } from '../../src/clients/serving-slots';
import { pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import type { PipelineResult } from '../../src/workflows/pipeline/contract';
import { NO_FAULTS } from '../../sandbox/faults';
import { SANDBOX_PROFILES } from '../../sandbox/profile';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { startTimeSkippingEnv } from '../harness/temporal';
import { advanceUntil, HOUR, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';
import { fineTuneToDeploy } from '../../src/workflows';

/**
 * Deploys replace what serves: a pipeline run again promotes its deployment into its name's serving
 * slot, the former champion drains for `deploy.retireAfter` and is then retired — deleted where the
 * provider has a delete route (extended profile), named for removal by hand where the documents
 * promise none (documented profile). A challenger that fails its checks leaves the champion serving.
 */
let shared: TestWorkflowEnvironment;
beforeAll(async () => {
  shared = await startTimeSkippingEnv();
});
afterAll(() => shared?.teardown());

describe.each(SANDBOX_PROFILES)('%s profile', (profile) => {
  const documented = profile === 'documented';
  let bed: WorkflowTestBed;
  beforeAll(async () => {
    bed = await startWorkflowTestBed({ profile }, { shared });
  });
  afterAll(() => bed?.teardown());
  beforeEach(() => {
    bed.sandbox.state.faults = { ...NO_FAULTS };
  });

  // A drain of a week: the runs (tens of virtual minutes each) all happen inside it.
  const input = (name: string): PipelineInput =>
    pipelineInput(name, {
      train: tensoroneTrain({ config: { strategy: 'lora', training: { epochs: 2, learning_rate: 2e-4 } } }),
      deploy: { target: 'tensorone-endpoint', retireAfter: '7d' } as PipelineInput['deploy'],
    });
  /** Lets virtual time pass an hour at a time until the slot has retired `n` deployments. */
  const retiredCount = (name: string, n: number) =>
    bed.withWorker(() =>
      advanceUntil(
        bed.env,
        async () => {
          const s = await slots().read(name);
          return s && s.retired.length === n ? s : undefined;
        },
        HOUR,
        24 * 8,
      ),
    );
  const run = (i: PipelineInput) =>
    bed.withWorker(async () => {
      const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
        args: [i],
        taskQueue: bed.taskQueue,
        workflowId: pipelineWorkflowId(i.name),
      });
      return await handle.result();
    });
  const endpointsNamed = (name: string) =>
    [...bed.sandbox.state.endpoints.values()].filter((e) => e.name.startsWith(`pipeline-${name}--`));
  const slots = () => servingSlots(bed.env.client, bed.taskQueue);

  it('the same pipeline run three times: one endpoint serves, the other two are retired after promotion', async () => {
    const name = `thrice-${profile}`;
    const results: PipelineResult[] = [];
    for (let i = 0; i < 3; i++) results.push(await run(input(name)));
    const ids = results.map((r) => r.deployment!.id);
    expect(new Set(ids).size).toBe(3);
    expect(results.map((r) => r.slot?.champion)).toEqual(ids);
    expect(results[0].slot?.previous).toBeUndefined();
    expect(results[1].slot?.previous).toBe(ids[0]);
    expect(results[2].slot?.previous).toBe(ids[1]);
    // The third's gate compared against the second (the same curve: a tie passes).
    expect(results[2].gate?.reasons).toEqual([expect.stringMatching(new RegExp(`^ties champion ${ids[1]}`))]);

    const state = await retiredCount(name, 2);
    expect(state.champion?.deploymentId).toBe(ids[2]);
    expect(state.champion?.checkpointId).toBe(results[2].checkpoint?.checkpointId);
    expect(state.retired.map((r) => r.deploymentId)).toEqual([ids[0], ids[1]]);
    expect(state.history.map((e) => `${e.kind} ${e.deploymentId}`)).toEqual([
      `promoted ${ids[0]}`,
      `promoted ${ids[1]}`,
      `promoted ${ids[2]}`,
      // Superseded while still draining: only the newest former champion can be rolled back to.
      `retired ${ids[0]}`,
      `retired ${ids[1]}`,
    ]);
    // What holds checkpoints for cleanup: a deleted deployment no longer does; one left running does.
    const heldBy = async () =>
      ((await protectionRegistry(bed.env.client, bed.taskQueue).records()) ?? [])
        .filter((r) => r.kind === 'deployed' && ids.includes(r.deploymentId ?? ''))
        .map((r) => r.deploymentId);
    if (documented) {
      // No delete route in the documents: retired from the slot, and named for removal by hand.
      expect(state.retired.map((r) => r.outcome)).toEqual(['remove-by-hand', 'remove-by-hand']);
      expect(state.retired[0].note).toMatch(new RegExp(`remove tensorone-endpoint ${ids[0]} by hand`));
      expect((await bed.withWorker(heldBy)).sort()).toEqual([...ids].sort());
    } else {
      expect(state.retired.map((r) => r.outcome)).toEqual(['removed', 'removed']);
      expect(endpointsNamed(name).map((e) => e.id)).toEqual([ids[2]]);
      expect(await bed.withWorker(heldBy)).toEqual([ids[2]]);
    }
  });

  it('a challenger that fails its smoke test is removed; the champion serves on, its drain untouched', async () => {
    const name = `challenger-${profile}`;
    const champion = await run(input(name));
    bed.sandbox.state.faults = { ...NO_FAULTS, inferenceStatus: 'FAILED' };
    const failure = await run(input(name)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    bed.sandbox.state.faults = { ...NO_FAULTS };
    const state = (await slots().read(name))!;
    expect(state.champion?.deploymentId).toBe(champion.deployment!.id);
    expect(state.history.map((e) => e.kind)).toEqual(['promoted']);
    if (!documented) expect(endpointsNamed(name).map((e) => e.id)).toEqual([champion.deployment!.id]);
  });

  it('a worse retrain is refused by the champion gate, and promoted when the file says not to compare', async () => {
    const name = `compare-${profile}`;
    const trained = (epochs: number, compareWithChampion?: boolean): PipelineInput => ({
      ...input(name),
      train: tensoroneTrain({ config: { strategy: 'lora', training: { epochs, learning_rate: 2e-4 } } }),
      ...(compareWithChampion === undefined ? {} : { gate: { compareWithChampion } }),
    });
    const champion = await run(trained(3));
    // One epoch: a higher validation loss than the champion's best.
    const refused = await run(trained(1)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    expect(((refused as WorkflowFailedError).cause as Error).message).toMatch(
      new RegExp(`does not beat champion ${champion.deployment!.id}`),
    );
    const promoted = await run(trained(1, false));
    expect(promoted.gate?.passed).toBe(true);
    expect(promoted.slot).toMatchObject({
      champion: promoted.deployment!.id,
      previous: champion.deployment!.id,
    });
  });

  it('a challenger slower than its champion beyond the margin fails its probe and is removed; a healthy one passes beside it', async () => {
    const name = `probe-${profile}`;
    const probed = (): PipelineInput => {
      const i = input(name);
      const probe = {
        inputs: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }],
        maxP95OverChampion: '100ms',
      };
      return { ...i, deploy: { ...i.deploy, probe } as PipelineInput['deploy'] };
    };
    const first = await run(probed());
    // Nothing served the name yet: probed alone, judged on its error rate.
    expect(first.probe).toEqual({
      passed: true,
      reasons: [],
      summary: expect.stringMatching(/^challenger 0\/3 failed, p95 \d+ ms$/),
    });

    // The next run's endpoints (named after its run id) answer 800 ms late (far beyond any noise of a loaded machine).
    const failure = await bed.withWorker(async () => {
      const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
        args: [probed()],
        taskQueue: bed.taskQueue,
        workflowId: pipelineWorkflowId(name),
      });
      const runTag = `--r${handle.firstExecutionRunId.replace(/-/g, '').slice(0, 12)}`;
      bed.sandbox.state.faults = {
        ...NO_FAULTS,
        degradedInference: { endpointNameContains: runTag, latencyMs: 800, errorRate: 0 },
      };
      return handle.result().catch((e: unknown) => e);
    });
    bed.sandbox.state.faults = { ...NO_FAULTS };
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(((failure as WorkflowFailedError).cause as Error).message).toMatch(
      /probe of ep_\w+ failed: p95 latency \d+ ms is more than 100 ms above the champion's \d+ ms \(challenger 0\/3 failed, p95 \d+ ms; champion 0\/3 failed, p95 \d+ ms\)/,
    );
    const state = (await slots().read(name))!;
    expect(state.champion?.deploymentId).toBe(first.deployment!.id);
    expect(state.history.map((e) => e.kind)).toEqual(['promoted']);
    if (!documented) expect(endpointsNamed(name).map((e) => e.id)).toEqual([first.deployment!.id]);

    const third = await run(probed());
    expect(third.probe).toMatchObject({
      passed: true,
      champion: first.deployment!.id,
      summary: expect.stringMatching(/; champion 0\/3 failed, p95 \d+ ms$/),
    });
    expect(third.slot?.previous).toBe(first.deployment!.id);
  });

  it('rollback during the drain restores the champion; after retirement it is refused with the reason', async () => {
    const name = `rollback-${profile}`;
    const first = await run(input(name));
    const second = await run(input(name));
    const back = await slots().rollback(name, { by: 'oncall', reason: 'error rate' });
    expect(back.restored.deploymentId).toBe(first.deployment!.id);
    expect(back.retiring.deploymentId).toBe(second.deployment!.id);
    const third = await run(input(name));
    expect(third.slot?.previous).toBe(first.deployment!.id);
    const state = await retiredCount(name, 2);
    expect(state.retired.map((r) => r.deploymentId)).toEqual([second.deployment!.id, first.deployment!.id]);
    const refused = await slots()
      .rollback(name, {})
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((refused as WorkflowUpdateFailedError).cause as Error).message).toMatch(
      new RegExp(`previous deployment ${first.deployment!.id} was retired at`),
    );
  });
});
