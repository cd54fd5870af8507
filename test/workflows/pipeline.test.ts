import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import { sandboxAdmin } from '../../sandbox/admin-client';
import {
  approveSignal,
  approveUpdate,
  cancelUpdate,
  pinSignal,
  pinUpdate,
  rejectUpdate,
  statusQuery,
  unpinUpdate,
  type PipelineResult,
} from '../../src/workflows/pipeline/contract';
import { protectionRecordsQuery, protectionRegistryId } from '../../src/workflows/protection/contract';
import { epochMetrics } from '../../sandbox/curves';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SANDBOX_PROFILES } from '../../sandbox/profile';
import { startTimeSkippingEnv } from '../harness/temporal';
import { advanceUntil, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';
import { deployingAtOnce } from '../harness/sandbox';
import { fineTuneToDeploy } from '../../src/workflows';
import { loadReportData, renderReport } from '../../src/cli/report';

/** The phases of a pipeline that has not ended its training (a fleet-budget reservation comes first). */
const BEFORE_TRAINED = ['starting', 'awaiting-budget', 'training'];

let bed: WorkflowTestBed;
// One time-skipping server for both profiles (each server start is seconds on a loaded machine).
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingEnv();
});
afterAll(() => env?.teardown());

// Every workflow test runs on both sandbox profiles: `extended` (the documents plus the routes this
// project assumes) and `documented` (only what the documents promise; other routes answered as
// TensorOne's API answers an unknown one, `400 {"message":"Invalid request method"}`).
describe.each(SANDBOX_PROFILES)('%s profile', (profile) => {
  const documented = profile === 'documented';
  beforeAll(async () => {
    bed = await startWorkflowTestBed({ profile, unknownRoute: 'invalid-method' }, { shared: env });
  });
  afterAll(() => bed?.teardown());
  beforeEach(() => {
    bed.sandbox.state.faults = {
      ...bed.sandbox.state.faults,
      unavailableGpuTypes: [],
      failDeployments: false,
      failInference: false,
      inferenceStatus: undefined,
      stallAtEpoch: undefined,
      spuriousStatus: undefined,
      htmlAnswers: 0,
      resetsInARow: undefined,
    };
  });

  const start = (input: PipelineInput) =>
    bed.env.client.workflow.start(fineTuneToDeploy, {
      args: [input],
      taskQueue: bed.taskQueue,
      workflowId: pipelineWorkflowId(input.name),
    });
  const run = (input: PipelineInput) => bed.withWorker(async () => (await start(input)).result());

  async function failureOf(input: PipelineInput): Promise<ApplicationFailure> {
    const err = await run(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause = (err as WorkflowFailedError).cause;
    while (cause && !(cause instanceof ApplicationFailure))
      cause = (cause as Error & { cause?: Error }).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }

  const jobNamed = (name: string) =>
    bed.sandbox.state.jobs.get(
      [...bed.sandbox.state.jobs.values()].find((j) => j.name.startsWith(`pipeline-${name}--`))!.id,
    )!;
  const checkpointsOf = (jobId: string) => bed.sandbox.state.jobCheckpoints(jobId);
  const endpointsNamed = (name: string) =>
    [...bed.sandbox.state.endpoints.values()].filter((e) => e.name.startsWith(`pipeline-${name}--`));

  describe('fineTuneToDeploy', () => {
    it('trains, picks the lowest validation loss, deploys, smoke-tests and cleans up, keeping what matters', async () => {
      const result = await run(pipelineInput('happy'));
      expect(result.outcome).toBe('deployed');
      const job = jobNamed('happy');
      expect(job.status).toBe('completed');
      const remaining = checkpointsOf(job.id);
      // The chosen checkpoint has the lowest validation loss the job ever reported, deleted ones included.
      const everReported = bed.sandbox.state.checkpoints.everOfJob(job.id);
      expect(everReported.length).toBeGreaterThan(remaining.length);
      const lowest = Math.min(...everReported.map((c) => c.metrics.validationLoss ?? Infinity));
      expect(result.checkpoint?.value).toBe(lowest);
      expect(result.deployment).toMatchObject({ target: 'tensorone-endpoint', status: 'active' });
      expect(endpointsNamed('happy')).toHaveLength(1);
      // Best, final and the deployed checkpoint survive cleanup; old automatic ones are gone.
      const types = remaining.map((c) => c.type);
      expect(types).toContain('best');
      expect(types).toContain('final');
      expect(remaining.map((c) => c.id)).toContain(result.checkpoint!.checkpointId);
      expect(result.deletedCheckpoints.length).toBeGreaterThan(0);
      for (const d of result.deletedCheckpoints) {
        expect(d.type).toBe('automatic');
        expect(d.checkpointId).not.toBe(result.checkpoint!.checkpointId);
      }
      expect(result.bytesReclaimed).toBe(result.deletedCheckpoints.reduce((s, d) => s + d.bytes, 0));
      expect(result.cost).toBeGreaterThan(0);
      // The status shows the training as the supervision's last look saw it: completed, every epoch.
      const handle = bed.env.client.workflow.getHandle(pipelineWorkflowId('happy'));
      const status = await handle.query(statusQuery);
      expect(status.training).toMatchObject({ jobId: job.id, status: 'completed' });
      expect(status.training?.epoch).toBe(status.training?.totalEpochs);
      // That last look came back in the supervision's result: no progress signal right before it ends.
      const child = (await handle.fetchHistory()).events!.find(
        (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
      )!.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!;
      const events = (await bed.env.client.workflow.getHandle(child).fetchHistory()).events!;
      const lastLook = events.map((e) => !!e.activityTaskCompletedEventAttributes).lastIndexOf(true);
      expect(
        events.slice(lastLook).some((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes),
      ).toBe(false);
    });
  });

  describe('fineTuneToDeploy gates', () => {
    it('rejects a candidate that misses the threshold, deploying nothing', async () => {
      const f = await failureOf(pipelineInput('gate-threshold', { gate: { threshold: 0.0001 } }));
      expect(f.type).toBe('GATE_REJECTED');
      expect(f.message).toMatch(/misses threshold/);
      expect(endpointsNamed('gate-threshold')).toHaveLength(0);
      // Its report says why it ended, from the history alone (no worker runs now to answer a query).
      const report = await loadReportData(bed.env.client, pipelineWorkflowId('gate-threshold'));
      expect(report.phase).toBe('failed');
      expect(report.ended).toBe(`GATE_REJECTED: ${f.message}`);
      expect(renderReport(report)).toContain(
        `<dt>Why it ended</dt><dd class="ended">GATE_REJECTED: ${f.message.replace(/</g, '&lt;').replace(/>/g, '&gt;')}</dd>`,
      );
    });

    it('deploys after a human approval sent by signal', async () => {
      const input = pipelineInput('approved', {
        gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
      });
      const result = await bed.withWorker(async () => {
        const handle = await start(input);
        await advanceUntil(
          bed.env,
          async () => (await handle.query(statusQuery)).phase === 'awaiting-approval',
        );
        const status = await handle.query(statusQuery);
        expect(status.candidate?.metric).toBe('validationLoss');
        // The gate waits exactly the configured 24h from the moment it started waiting.
        expect(Date.parse(status.awaitingApprovalUntil!) - Date.parse(status.updatedAt)).toBe(24 * 3_600_000);
        await handle.signal(approveSignal, { by: 'ada', reason: 'looks good' });
        return handle.result();
      });
      expect(result.outcome).toBe('deployed');
      expect(result.gate?.reasons.join(' ')).toContain('approved by ada');
    });

    it('operator updates: approve during training is refused and the gate still waits; a stale candidate, a second decision and a pin of an unknown checkpoint are refused with their reason', async () => {
      const input = pipelineInput('updates', {
        gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
      });
      /** The refusal's reason as the CLI prints it (the update failure's cause), or 'accepted'. */
      const refusal = (p: Promise<unknown>) =>
        p.then(
          () => 'accepted',
          (e: unknown) => (e instanceof WorkflowUpdateFailedError ? e.cause?.message : `not a refusal: ${e}`),
        );
      let pinned = '';
      const result = await bed.withWorker(async () => {
        const handle = await start(input);
        const jobId = await advanceUntil(bed.env, async () => (await handle.query(statusQuery)).jobId);
        const early = await refusal(
          handle.executeUpdate(approveUpdate, {
            args: [{ checkpointId: `ckpt_${jobId.slice(4)}_e1`, by: 'eve' }],
          }),
        );
        expect(early).toMatch(/^not awaiting approval \(phase: (starting|training)\)$/);
        // An older CLI's signal is held to the same rule: it does not pass the gate either.
        await handle.signal(approveSignal, { by: 'old-cli' });
        // Where only the provider can tell, the pin's handler reads the job's own list, and the update fails with why.
        expect(
          await refusal(handle.executeUpdate(pinUpdate, { args: [{ checkpointId: 'ckpt_nope' }] })),
        ).toMatch(
          new RegExp(
            `^checkpoint ckpt_nope is not one of the \\d+ checkpoints of job ${jobId} \\(every page of its list\\)`,
          ),
        );
        expect(await refusal(handle.executeUpdate(pinUpdate, { args: [{ checkpointId: '../x' }] }))).toMatch(
          /is not a checkpoint id/,
        );

        const status = await advanceUntil(bed.env, async () => {
          const s = await handle.query(statusQuery);
          return s.phase === 'awaiting-approval' ? s : undefined;
        });
        const candidate = status.candidate!.checkpointId;
        expect(status.gate?.reasons.join(' ')).not.toContain('approved');
        const stale =
          `ckpt_${jobId.slice(4)}_e1` === candidate
            ? `ckpt_${jobId.slice(4)}_e2`
            : `ckpt_${jobId.slice(4)}_e1`;
        expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ checkpointId: stale }] }))).toBe(
          `stale candidate: you named ${stale}, the pipeline awaits approval of ${candidate}`,
        );
        // Now the pipeline has listed every checkpoint: the validator refuses an unknown one itself.
        expect(
          await refusal(handle.executeUpdate(pinUpdate, { args: [{ checkpointId: 'ckpt_nope' }] })),
        ).toMatch(new RegExp(`^checkpoint ckpt_nope is not one of the \\d+ checkpoints of job ${jobId}$`));
        pinned = stale;
        expect(await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: stale }] })).toEqual({
          checkpointId: stale,
          jobId,
          result: 'pinned',
          checkedBy: 'listing',
        });
        expect(
          await refusal(handle.executeUpdate(unpinUpdate, { args: [{ checkpointId: candidate }] })),
        ).toBe(`checkpoint ${candidate} is not pinned in this pipeline (pinned: ${stale})`);
        // The pin is in the shared records before the answer; unpin takes this pipeline's record out.
        const pinsOf = async () =>
          (
            await bed.env.client.workflow
              .getHandle(protectionRegistryId(bed.taskQueue))
              .query(protectionRecordsQuery)
          )
            .filter((r) => r.kind === 'pinned' && r.workflowId === handle.workflowId)
            .map((r) => r.checkpointId);
        expect(await pinsOf()).toEqual([stale]);
        expect(await handle.executeUpdate(unpinUpdate, { args: [{ checkpointId: stale }] })).toEqual({
          checkpointId: stale,
          result: 'unpinned',
          sharedRecord: 'removed',
          pinned: [],
        });
        expect(await pinsOf()).toEqual([]);
        expect((await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: stale }] })).result).toBe(
          'pinned',
        );
        expect(await pinsOf()).toEqual([stale]);
        // Approve and reject racing: the first decision counts, the other is refused naming it.
        const race = await Promise.allSettled([
          handle.executeUpdate(approveUpdate, {
            args: [{ checkpointId: candidate, by: 'ada', reason: 'ok' }],
          }),
          handle.executeUpdate(rejectUpdate, { args: [{ checkpointId: candidate, by: 'bob' }] }),
        ]);
        const won = race.filter((r) => r.status === 'fulfilled').map((r) => r.value);
        const lost = race
          .filter((r) => r.status === 'rejected')
          .map((r) => r.reason as WorkflowUpdateFailedError);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        const winner = won[0];
        expect(winner).toEqual(
          winner.decision === 'approved'
            ? {
                decision: 'approved',
                checkpointId: candidate,
                by: 'ada',
                reason: 'ok',
                next: `deploying ${candidate}`,
              }
            : {
                decision: 'rejected',
                checkpointId: candidate,
                by: 'bob',
                next: `not deploying ${candidate}: the pipeline ends rejected and stops what it started`,
              },
        );
        expect(lost[0].cause?.message).toBe(`already ${winner.decision} by ${winner.by} (${candidate})`);
        return { winner, outcome: await handle.result().catch((e: unknown) => e) };
      });
      if (result.winner.decision === 'approved') {
        const deployed = result.outcome as PipelineResult;
        expect(deployed.outcome).toBe('deployed');
        expect(deployed.gate?.reasons.at(-1)).toBe('approved by ada: ok');
        // The pin held against the pipeline's own cleanup.
        expect(checkpointsOf(deployed.jobId!).map((c) => c.id)).toContain(pinned);
      } else {
        expect((result.outcome as WorkflowFailedError).cause).toMatchObject({ type: 'APPROVAL_REJECTED' });
        expect(endpointsNamed('updates')).toHaveLength(0);
      }
    });

    it('ends as the configured outcome when approval times out (reject)', async () => {
      const f = await failureOf(
        pipelineInput('approval-timeout', {
          gate: { approval: { required: true, timeout: '2h', onTimeout: 'reject' } },
        }),
      );
      expect(f.type).toBe('APPROVAL_TIMED_OUT');
      expect(endpointsNamed('approval-timeout')).toHaveLength(0);
    });
  });

  describe('fineTuneToDeploy under trouble', () => {
    it('cancel mid-training stops the job with a saved checkpoint', async () => {
      const input = pipelineInput('cancel', {
        train: tensoroneTrain({ config: { training: { epochs: 30 } } }),
      });
      const result = await bed.withWorker(async () => {
        const handle = await start(input);
        await advanceUntil(
          bed.env,
          async () => ((await handle.query(statusQuery)).training?.epoch ?? 0) >= 3,
        );
        const answer = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
        expect(answer).toEqual({
          phase: 'training',
          effects: [
            `training job ${jobNamed('cancel').id} stops with a saved checkpoint`,
            'nothing is deployed',
          ],
        });
        const again = await handle
          .executeUpdate(cancelUpdate, { args: [{}] })
          .catch((e: unknown) => (e as WorkflowUpdateFailedError).cause?.message);
        expect(again).toMatch(/^already ending \(phase: (training, cancel requested|cancelled)\)$/);
        return handle.result();
      });
      expect(result.outcome).toBe('cancelled');
      const job = jobNamed('cancel');
      expect(job.status).toBe('stopped');
      expect(result.stoppedJobs).toEqual([job.id]);
      expect(checkpointsOf(job.id).some((c) => c.type === 'final')).toBe(true);
      expect(endpointsNamed('cancel')).toHaveLength(0);
    });

    it('a cost budget stops training and deploys the best checkpoint so far', async () => {
      const input = pipelineInput('budget', {
        train: tensoroneTrain({ config: { training: { epochs: 40 } } }),
        budget: { maxCost: 8 },
      });
      const result = await run(input);
      expect(result.outcome).toBe('deployed');
      expect(result.budgetStopped).toBe(true);
      const job = jobNamed('budget');
      expect(job.status).toBe('stopped');
      expect(job.completedEpochs).toBeLessThan(40);
    });

    it('falls back to the next GPU type the provider has when the first is not available', async () => {
      bed.sandbox.state.faults = { ...bed.sandbox.state.faults, unavailableGpuTypes: ['h100'] };
      const input = pipelineInput('gpu-fallback', {
        train: tensoroneTrain({ gpuTypes: ['h100', 'a100'] }),
      });
      const result = await run(input);
      expect(result.outcome).toBe('deployed');
      expect(jobNamed('gpu-fallback').gpuType).toBe('a100');
      expect(bed.sandbox.state.faultsInjected.insufficientResources).toBeGreaterThanOrEqual(1);
    });

    it('a deployment that fails is removed, the checkpoints stay untouched, and the cause is reported', async () => {
      bed.sandbox.state.faults = { ...bed.sandbox.state.faults, failDeployments: true };
      const f = await failureOf(pipelineInput('deploy-fails'));
      expect(f.type).toBe('DEPLOY_FAILED');
      if (documented) {
        // No status route: readiness through runsync until the deploy timeout; no delete route: left
        // running, and the failure names the endpoint and says it must be removed by hand.
        const [left] = endpointsNamed('deploy-fails');
        expect(endpointsNamed('deploy-fails')).toHaveLength(1);
        expect(f.message).toContain(left.id);
        expect(f.message).toMatch(/could not be removed.*must be removed by hand/);
        expect(f.message).toMatch(/DEPLOY_TIMEOUT/);
      } else {
        expect(f.message).toMatch(/failed and was removed/);
        expect(endpointsNamed('deploy-fails')).toHaveLength(0);
      }
      expect(checkpointsOf(jobNamed('deploy-fails').id)).toHaveLength(8); // 6 automatic + best + final: nothing cleaned
    });

    it('a deployment whose create already says failed is not believed active: it fails and nothing is promoted', async () => {
      bed.sandbox.state.faults = { ...bed.sandbox.state.faults, failDeployments: true };
      // The create answer already says failed.
      const f = await deployingAtOnce(bed.sandbox, () => failureOf(pipelineInput('deploy-fails-at-once')));
      expect(f.type).toBe('DEPLOY_FAILED');
      if (!documented) {
        expect(f.message).toMatch(/failed and was removed/);
        expect(endpointsNamed('deploy-fails-at-once')).toHaveLength(0);
      }
      expect(checkpointsOf(jobNamed('deploy-fails-at-once').id)).toHaveLength(8);
    });

    it('a smoke test whose first seven requests are reset in a row still deploys (transport failures are retried)', async () => {
      // Five tries failed a healthy deploy in a chaos run (five resets and 5xx in a row): eight now.
      bed.sandbox.state.faults = {
        ...bed.sandbox.state.faults,
        resetsInARow: { routePattern: '/runsync$', count: 7 },
      };
      const input = pipelineInput('smoke-resets');
      const result = await bed.withWorker(() => start(input).then((h) => h.result()));
      expect(result.outcome).toBe('deployed');
      expect(bed.sandbox.state.faults.resetsInARow?.count).toBe(0);
    });

    it('a failing smoke test removes the deployment too', async () => {
      bed.sandbox.state.faults = { ...bed.sandbox.state.faults, failInference: true };
      const input = pipelineInput('smoke-fails');
      const { f, status } = await bed.withWorker(async () => {
        const handle = await start(input);
        const err = await handle.result().catch((e: unknown) => e as WorkflowFailedError);
        return { f: err, status: await handle.query(statusQuery) };
      });
      expect(f).toBeInstanceOf(WorkflowFailedError);
      const cause = (f as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('DEPLOY_FAILED');
      expect(cause.message).toMatch(/INFERENCE_FAILED/);
      if (documented) {
        const [left] = endpointsNamed('smoke-fails');
        expect(status.deployment).toMatchObject({ id: left.id, status: 'left-running' });
        expect(status.deployment?.removeByHand).toContain(left.id);
        expect(status.failure).toMatch(/must be removed by hand/);
      } else {
        expect(status.deployment?.status).toBe('removed');
        expect(endpointsNamed('smoke-fails')).toHaveLength(0);
      }
    });

    it('a smoke test answered 200 with status FAILED fails the deploy like an error would', async () => {
      bed.sandbox.state.faults = { ...bed.sandbox.state.faults, inferenceStatus: 'FAILED' };
      const input = pipelineInput('smoke-status');
      const { f, status } = await bed.withWorker(async () => {
        const handle = await start(input);
        const err = await handle.result().catch((e: unknown) => e as WorkflowFailedError);
        return { f: err, status: await handle.query(statusQuery) };
      });
      expect(f).toBeInstanceOf(WorkflowFailedError);
      const cause = (f as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('DEPLOY_FAILED');
      expect(cause.message).toMatch(/returned status FAILED/);
      expect(status.deployment?.status).toBe(documented ? 'left-running' : 'removed');
    });

    it('a stalled job is stopped and resumed from its checkpoint, then deployed', async () => {
      bed.sandbox.state.faults = {
        ...bed.sandbox.state.faults,
        stallAtEpoch: 2,
        stallJobNameContains: 'pipeline-stall--',
      };
      const result = await run(pipelineInput('stall'));
      expect(result.outcome).toBe('deployed');
      expect(result.resumes).toBe(1);
      expect(bed.sandbox.state.faultsInjected.stall).toBeGreaterThanOrEqual(1);
    });

    it('a "completed" answered once at epoch 5 of 20 neither deploys nor cleans up; the real best is deployed after the real end', async () => {
      bed.sandbox.state.faults = {
        ...bed.sandbox.state.faults,
        spuriousStatus: 'completed',
        spuriousStatusAtEpoch: 5,
        spuriousStatusJobNameContains: 'pipeline-spurious-done--',
      };
      const input = pipelineInput('spurious-done', {
        train: tensoroneTrain({ config: { training: { epochs: 20 } } }),
      });
      const result = await bed.withWorker(async () => {
        const handle = await start(input);
        const later = await advanceUntil(bed.env, async () => {
          const s = await handle.query(statusQuery);
          return !BEFORE_TRAINED.includes(s.phase) || (s.training?.epoch ?? 0) >= 8 ? s : undefined;
        });
        // Three epochs after the odd answer: still training, nothing deployed, every checkpoint there.
        expect(bed.sandbox.state.faultsInjected.spuriousStatus).toBe(1);
        expect(later.phase).toBe('training');
        expect(endpointsNamed('spurious-done')).toHaveLength(0);
        const epochs = checkpointsOf(later.jobId!)
          .filter((c) => c.type === 'automatic')
          .map((c) => c.epoch);
        expect(epochs).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6, 7]));
        return handle.result();
      });
      expect(result.outcome).toBe('deployed');
      const job = jobNamed('spurious-done');
      expect(job).toMatchObject({ status: 'completed', completedEpochs: 20 });
      // The best of all 20 epochs, not of the 4 done when the odd answer came.
      const losses = [...Array(20).keys()].map(
        (i) => epochMetrics(bed.sandbox.state.options.seed, job.name, i + 1, 20).validationLoss,
      );
      expect(result.checkpoint?.value).toBe(Math.min(...losses));
      expect(result.checkpoint?.value).toBeLessThan(Math.min(...losses.slice(0, 4)));
    });

    it('one HTML page from a gateway in front of the job GET does not fail the pipeline', async () => {
      const result = await bed.withWorker(async () => {
        const handle = await start(pipelineInput('html-once'));
        const jobId = await advanceUntil(bed.env, async () => (await handle.query(statusQuery)).jobId);
        bed.sandbox.state.faults = {
          ...bed.sandbox.state.faults,
          htmlAnswers: 1,
          htmlAnswerRoutePattern: `/jobs/${jobId}$`,
        };
        return handle.result();
      });
      expect(bed.sandbox.state.faults.htmlAnswers).toBe(0);
      expect(result.outcome).toBe('deployed');
    });

    it('a pinned checkpoint survives cleanup', async () => {
      const input = pipelineInput('pinned');
      const result = await bed.withWorker(async () => {
        const handle = await start(input);
        const job = await advanceUntil(bed.env, async () => {
          const s = await handle.query(statusQuery);
          return (s.training?.epoch ?? 0) >= 2 ? s.jobId : undefined;
        });
        await handle.signal(pinSignal, `ckpt_${job!.slice(4)}_e1`);
        return handle.result();
      });
      const remaining = checkpointsOf(result.jobId!).map((c) => c.id);
      expect(remaining).toContain(`ckpt_${result.jobId!.slice(4)}_e1`);
      expect(result.deletedCheckpoints.map((d: { checkpointId: string }) => d.checkpointId)).not.toContain(
        `ckpt_${result.jobId!.slice(4)}_e1`,
      );
    });

    it('refuses invalid input inside the workflow too, creating nothing', async () => {
      const before = bed.sandbox.state.jobs.size;
      const f = await failureOf({
        ...pipelineInput('bad-input'),
        train: { kind: 'tensorone', modelType: 'llm', datasetId: 'nope', config: {} },
      } as PipelineInput);
      expect(f.type).toBe('INVALID_INPUT');
      expect(f.message).toContain('train.datasetId');
      expect(bed.sandbox.state.jobs.size).toBe(before);
    });

    it('refuses a train.config the provider does not document inside the workflow too (a start around the CLI), creating nothing', async () => {
      const before = bed.sandbox.state.jobs.size;
      const f = await failureOf(
        pipelineInput('config-typo', {
          train: tensoroneTrain({ config: { training: { epoch: 8, learning_rate: 'fast' } } } as never),
        }),
      );
      expect(f.type).toBe('INVALID_INPUT');
      expect(f.message).toContain('train.config.training.epoch: is not a known key; did you mean `epochs`?');
      expect(f.message).toContain(
        'train.config.training.learning_rate: must be a number from 0.000001 to 0.1, got "fast"',
      );
      expect(bed.sandbox.state.jobs.size).toBe(before);
    });

    it('refuses out-of-bounds durations and an oversized config inside the workflow too (a start that bypasses the CLI)', async () => {
      const before = bed.sandbox.state.jobs.size;
      const f = await failureOf({
        ...pipelineInput('unbounded-input'),
        train: {
          kind: 'tensorone',
          modelType: 'llm',
          datasetId: 'ds_big',
          config: { baseModel: 'x'.repeat(1_500_000) },
        },
        gate: { approval: { timeout: '100000000d' } },
        supervision: { freshness: '0s' },
      } as PipelineInput);
      expect(f.type).toBe('INVALID_INPUT');
      expect(f.message).toContain('gate.approval.timeout: must be between 1m and 30d, got "100000000d"');
      expect(f.message).toContain('supervision.freshness: must be between 1s and 1d');
      expect(f.message).toMatch(/train\.config: is \d+ KiB as JSON, more than the 64 KiB allowed/);
      expect(bed.sandbox.state.jobs.size).toBe(before);
    });
  });

  describe('fineTuneToDeploy with other providers', () => {
    /** A pipeline that follows Marqtune model `modelId` and serves it on TensorMesh. */
    const marqtuneOnTensorMesh = (name: string, modelId: string) =>
      pipelineInput(name, {
        train: { kind: 'marqtune', modelId },
        deploy: {
          target: 'tensormesh',
          userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
          gpuType: 'GPU_TYPE_H100',
        },
      });

    it('follows a Marqtune model until ready and serves it on TensorMesh', async () => {
      const { modelId } = await sandboxAdmin(bed.sandbox.url).addMarqtuneModel({
        modelName: 'mq-e2e',
        epochs: 3,
      });
      const result = await run(marqtuneOnTensorMesh('marqtune', modelId));
      expect(result).toMatchObject({
        outcome: 'deployed',
        provider: 'marqtune',
        checkpoint: { checkpointId: 'checkpoint-3' },
        deployment: { target: 'tensormesh', status: 'active' },
      });
      expect(JSON.stringify(result)).not.toMatch(/tm-serve-|tmk_/);
    });

    it('a TensorMesh served model whose create already says it runs is smoke-tested through its own inference URL', async () => {
      const { modelId } = await sandboxAdmin(bed.sandbox.url).addMarqtuneModel({
        modelName: 'mq-at-once',
        epochs: 2,
      });
      // The provision answer already says MODEL_STATUS_RUNNING.
      const result = await deployingAtOnce(bed.sandbox, () =>
        run(marqtuneOnTensorMesh('mesh-at-once', modelId)),
      );
      expect(result).toMatchObject({
        outcome: 'deployed',
        deployment: { target: 'tensormesh', status: 'active' },
      });
    });

    it.each([
      ['tensorone-endpoint', {}],
      ['tensorone-registry', { target: 'tensorone-registry', environment: 'staging', gpuType: 'a100' }],
    ] as const)(
      'a %s deployment whose create already says active is smoke-tested and serves',
      async (target, deploy) => {
        // The create answer already says active.
        const result = await deployingAtOnce(bed.sandbox, () =>
          run(
            pipelineInput(`${target}-at-once`, {
              train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
              ...(Object.keys(deploy).length ? { deploy: deploy as PipelineInput['deploy'] } : {}),
            }),
          ),
        );
        expect(result).toMatchObject({ outcome: 'deployed', deployment: { target, status: 'active' } });
      },
    );

    it('deploys through the TensorOne registry, adding a version to an existing model', async () => {
      // A short training run serves now; the longer one must beat it through the registry's compare call.
      const shortTrain = tensoroneTrain({ config: { training: { epochs: 1 } } });
      const base = await run(pipelineInput('registry-base', { train: shortTrain }));
      const baseModel = [...bed.sandbox.state.registry.values()].find((m) => m.trainingJobId === base.jobId)!;
      const result = await run(
        pipelineInput('registry', {
          deploy: {
            target: 'tensorone-registry',
            environment: 'staging',
            gpuType: 'a100',
            versionOf: { modelId: baseModel.id, version: 'v1.1.0' },
          },
          gate: { servingModelId: baseModel.id, minImprovement: 0 },
        }),
      );
      expect(result.gate?.reasons.join(' ')).toMatch(/serving model/);
      expect(result.deployment).toMatchObject({
        target: 'tensorone-registry',
        status: 'active',
        modelId: baseModel.id,
      });
      expect(bed.sandbox.state.registry.get(baseModel.id)!.versions.map((v) => v.version)).toContain(
        'v1.1.0',
      );
    });
  });

  describe('fineTuneToDeploy candidate choice', () => {
    it('chooses the best of a job with 1,200 checkpoints and shows whether the provider agrees', async () => {
      const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('many-ckpts', 1200);
      const all = checkpointsOf(jobId);
      const lowest = Math.min(...all.map((c) => c.metrics.validationLoss));
      const providerBest = all.find((c) => c.type === 'best')!;
      const result = await run(
        pipelineInput('many-ckpts', {
          train: { kind: 'tensorone-existing', jobId },
          cleanup: { enabled: false },
        }),
      );
      expect(result.checkpoint?.value).toBe(lowest);
      expect(result.checkpoint).toMatchObject({
        totalCheckpoints: all.length,
        providerBestCheckpointId: providerBest.id,
        agreesWithProviderBest: providerBest.metrics.validationLoss === lowest,
      });
      // The documented list shows at most 100 per query: the best is found without seeing them all.
      if (documented) expect(result.checkpoint!.considered!).toBeLessThan(all.length);
      else expect(result.checkpoint!.considered).toBe(all.length);
    });
  });

  if (documented) {
    it('asks each route the documents do not list at most once in the whole run (one worker process)', async () => {
      const { undocumentedRequests } = await sandboxAdmin(bed.sandbox.url).counters();
      expect(Object.keys(undocumentedRequests).length).toBeGreaterThan(0);
      for (const [route, count] of Object.entries(undocumentedRequests))
        expect([route, count]).toEqual([route, 1]);
    });
  }
});
