/**
 * Records the replay fixtures in test/histories/ from real runs: the workflows with real activities
 * against the sandbox, on a time-skipping server. Run after a deliberate, released change of a
 * workflow (with its `patched()` guard) to add the new shape next to the old ones:
 *   npx tsx scripts/record-workflow-histories.ts [suffix] [name,name…]
 * (a suffix containing `provider-queues` records with provider activities on provider task queues;
 * one containing `rate-limited` also with TENSORONE_MAX_RPS set, as a fleet with a provider limit)
 * With names, only those histories are recorded (pipeline-success, supervise-stalled-resumed,
 * cleanup-run, pipeline-operator-updates, serving-slot, pipeline-sweep, pipeline-sweep-fleet-budget,
 * pipeline-early-stopped, pipeline-fleet-budget-stopped, pipeline-deployed-at-once, pipeline-smoke-fails).
 */
import fs from 'node:fs';
import path from 'node:path';
import { recordedHistoryJSON } from './history-json';
import { ensureEngines } from '../engine';
import { servingSlots } from '../src/clients/serving-slots';
import { fleetBudgets } from '../src/clients/fleet-budget';
import { sandboxAdmin } from '../sandbox/admin-client';
import { approveSignal, approveUpdate, pinUpdate, statusQuery } from '../src/workflows/pipeline/contract';
import { protectionRegistryId } from '../src/workflows/protection/contract';
import { fleetBudgetId } from '../src/workflows/fleet-budget/contract';
import { servingSlotId } from '../src/workflows/serving-slot/contract';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { trialWorkflowId } from '../src/workflows/sweep/contract';
import { advanceUntil, startWorkflowTestBed } from '../test/harness/workflow-env';
import { deployingAtOnce } from '../test/harness/sandbox';
import { checkpointCleanup, fineTuneToDeploy, superviseTrainingJob } from '../src/workflows';
import { parsePipelineInput } from '../src/domain/pipeline-input';
import { validatedInputMemo } from '../src/domain/validated-input';

async function main(): Promise<void> {
  process.env.FTP_TEST_SERVER_PATH ??= (await ensureEngines({ devServer: false })).testServer;
  const suffix = process.argv[2] ?? 'v1';
  const only = process.argv[3]?.split(',');
  const wanted = (name: string) => !only || only.includes(name);
  const out = path.join(__dirname, '../test/histories');
  // A suffix naming the provider queues records as the worker process runs since the patch
  // `provider-activities-on-provider-task-queues`: provider activities on their provider's queue.
  const bed = await startWorkflowTestBed(
    {},
    {
      providerQueues: suffix.includes('provider-queues'),
      ...(suffix.includes('rate-limited') ? { tensoroneMaxRps: 50 } : {}),
    },
  );
  // Each history's workflow id is its file name, which is what the replay test passes back.
  const id = (name: string) => `${name}-${suffix}`;
  const save = async (name: string) => {
    const history = await bed.env.client.workflow.getHandle(id(name)).fetchHistory();
    fs.writeFileSync(path.join(out, `${name}-${suffix}.json`), recordedHistoryJSON(history));
    process.stderr.write(`wrote ${name}-${suffix}.json (${history.events?.length} events)\n`);
  };
  try {
    await bed.withWorker(async () => {
      if (wanted('pipeline-operator-updates')) {
        // A gated pipeline steered by the operator's updates: an approve signal during training
        // (ignored), a refused approve (no event), a pin, then the approval past half its time.
        const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
          args: [
            pipelineInput('recorded-updates', {
              gate: { threshold: 5, approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
            }),
          ],
          taskQueue: bed.taskQueue,
          workflowId: id('pipeline-operator-updates'),
        });
        const jobId = await advanceUntil(bed.env, async () => (await handle.query(statusQuery)).jobId);
        await handle.signal(approveSignal, { by: 'early' });
        // A pin during training, before the pipeline has listed its job's checkpoints: checked
        // against the job's own list (`pipeline-pin-checks-job-listing`).
        const first = `ckpt_${jobId.slice(4)}_e1`;
        await advanceUntil(bed.env, async () => bed.sandbox.state.checkpoints.get(first) !== undefined);
        await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: first }] });
        await handle
          .executeUpdate(approveUpdate, { args: [{ checkpointId: 'ckpt_x' }] })
          .catch(() => undefined);
        const status = await advanceUntil(bed.env, async () => {
          const s = await handle.query(statusQuery);
          return s.phase === 'awaiting-approval' ? s : undefined;
        });
        const candidate = status.candidate!.checkpointId;
        await handle.executeUpdate(pinUpdate, { args: [{ checkpointId: candidate }] });
        // Past half the approval time (since `approval-counts-half-deadline`: the wait's second timer).
        await bed.env.sleep('13h');
        await handle.executeUpdate(approveUpdate, { args: [{ checkpointId: candidate, by: 'ada' }] });
        await handle.result();
        await save('pipeline-operator-updates');
      }
      if (wanted('pipeline-sweep')) {
        // A sweep of three learning rates, two at a time, halving at epoch 1: rung stops and a deploy.
        const sweepId = id('pipeline-sweep');
        await bed.env.client.workflow.execute(fineTuneToDeploy, {
          args: [
            pipelineInput('recorded-sweep', {
              train: {
                ...tensoroneTrain(),
                sweep: {
                  parameters: { 'training.learning_rate': [1e-5, 1e-3, 1e-2] },
                  parallel: 2,
                  halving: { rungs: [1, 3], keep: 0.5 },
                },
              },
            }),
          ],
          taskQueue: bed.taskQueue,
          workflowId: sweepId,
        });
        await save('pipeline-sweep');
        // Its first trial, which starts a supervisor and signals the pipeline.
        const trial = await bed.env.client.workflow.getHandle(trialWorkflowId(sweepId, 0)).fetchHistory();
        fs.writeFileSync(path.join(out, `sweep-trial-${suffix}.json`), recordedHistoryJSON(trial));
        process.stderr.write(`wrote sweep-trial-${suffix}.json (${trial.events?.length} events)\n`);
        // A trial paused at a rung (since `sweep-pauses-trials-at-rungs`), resumed if one was.
        const trials = await Promise.all(
          [0, 1, 2].map((i) => bed.env.client.workflow.getHandle(trialWorkflowId(sweepId, i)).fetchHistory()),
        );
        const signalled = (h: (typeof trials)[number], name: string) =>
          h.events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name).length ??
          0;
        const paused = [...trials].sort(
          (a, b) => signalled(b, 'holdSweepTrial') - signalled(a, 'holdSweepTrial'),
        )[0];
        if (signalled(paused, 'holdSweepTrial') > 0) {
          fs.writeFileSync(path.join(out, `sweep-trial-paused-${suffix}.json`), recordedHistoryJSON(paused));
          process.stderr.write(`wrote sweep-trial-paused-${suffix}.json (${paused.events?.length} events)\n`);
        }
      }
      if (wanted('pipeline-sweep-fleet-budget')) {
        // A sweep under a fleet budget of two trials' reservations: three trials at once, the third
        // waits in line until the first two settle their own jobs' cost ($8.50 each).
        await fleetBudgets(bed.env.client, bed.taskQueue).set({ amount: 28, windowMs: 400 * 86_400_000 });
        const sweepId = id('pipeline-sweep-fleet-budget');
        await bed.env.client.workflow.execute(fineTuneToDeploy, {
          args: [
            pipelineInput('recorded-sweep-budget', {
              train: {
                ...tensoroneTrain({ config: { training: { epochs: 2 } } }),
                sweep: { parameters: { 'training.learning_rate': [1e-5, 1e-3, 1e-2] }, parallel: 3 },
              },
              budget: { maxCost: 10 },
            }),
          ],
          taskQueue: bed.taskQueue,
          workflowId: sweepId,
        });
        await save('pipeline-sweep-fleet-budget');
        // Its last trial, which waited in line before its job.
        const trial = await bed.env.client.workflow.getHandle(trialWorkflowId(sweepId, 2)).fetchHistory();
        fs.writeFileSync(
          path.join(out, `sweep-trial-fleet-budget-${suffix}.json`),
          recordedHistoryJSON(trial),
        );
        process.stderr.write(`wrote sweep-trial-fleet-budget-${suffix}.json (${trial.events?.length} events)
`);
      }
      if (wanted('pipeline-fleet-budget-stopped')) await recordFleetBudgetStop();
      if (!wanted('pipeline-success')) return recordRest();
      const input = pipelineInput('recorded', { gate: { threshold: 5 } });
      // Started as the starter starts it: the spec it validated, and the memo saying so.
      await bed.env.client.workflow.execute(fineTuneToDeploy, {
        args: [parsePipelineInput(input)],
        memo: validatedInputMemo(),
        taskQueue: bed.taskQueue,
        workflowId: id('pipeline-success'),
      });
      await save('pipeline-success');
      // Its supervising child, which signals the pipeline (a supervision alone signals nobody).
      const pipelineEvents = (await bed.env.client.workflow.getHandle(id('pipeline-success')).fetchHistory())
        .events;
      const childId = pipelineEvents?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
        ?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (childId) {
        const child = await bed.env.client.workflow.getHandle(childId).fetchHistory();
        fs.writeFileSync(
          path.join(out, `supervise-child-of-pipeline-${suffix}.json`),
          recordedHistoryJSON(child),
        );
        process.stderr.write(
          `wrote supervise-child-of-pipeline-${suffix}.json (${child.events?.length} events)\n`,
        );
      }
      // Its cleanup child, started with the deployment and told when it serves.
      const cleanup = await bed.env.client.workflow
        .getHandle(`${id('pipeline-success')}/cleanup`)
        .fetchHistory()
        .catch(() => undefined);
      if (cleanup) {
        fs.writeFileSync(
          path.join(out, `cleanup-child-of-pipeline-${suffix}.json`),
          recordedHistoryJSON(cleanup),
        );
        process.stderr.write(
          `wrote cleanup-child-of-pipeline-${suffix}.json (${cleanup.events?.length} events)\n`,
        );
      }
      // The protection records the pipeline wrote (a workflow that runs for good: recorded as it stands).
      const registry = await bed.env.client.workflow
        .getHandle(protectionRegistryId(bed.taskQueue))
        .fetchHistory();
      fs.writeFileSync(path.join(out, `protection-registry-${suffix}.json`), recordedHistoryJSON(registry));
      await recordRest();
    });
  } finally {
    await bed.teardown();
  }

  /**
   * Two pipelines under a fleet budget, lowered while both train: the newer is stopped by the budget
   * (saving a checkpoint) and goes on to deploy; recorded with the budget's own history as it stands.
   */
  async function recordFleetBudgetStop(): Promise<void> {
    const budgets = fleetBudgets(bed.env.client, bed.taskQueue);
    const windowMs = 400 * 86_400_000;
    await budgets.set({ amount: 100, windowMs });
    const start = (workflowId: string, name: string, epochs: number, maxCost: number) =>
      bed.env.client.workflow.start(fineTuneToDeploy, {
        args: [
          pipelineInput(name, {
            train: tensoroneTrain({ config: { training: { epochs } } }),
            budget: { maxCost },
            cleanup: { enabled: false, retention: { keepLastN: 2 }, maxDeletes: 1000 },
          }),
        ],
        taskQueue: bed.taskQueue,
        workflowId,
      });
    const older = await start(`${id('pipeline-fleet-budget-stopped')}-older`, 'recorded-older', 8, 40);
    await advanceUntil(bed.env, async () => (await older.query(statusQuery)).jobId !== undefined);
    const newer = await start(id('pipeline-fleet-budget-stopped'), 'recorded-newer', 5, 22);
    await advanceUntil(bed.env, async () => {
      const r = (await budgets.state())?.ledger.reservations.find((x) => x.workflowId === newer.workflowId);
      const trained = [...bed.sandbox.state.jobs.values()].some(
        (j) => j.name.startsWith(`${newer.workflowId}--`) && j.completedEpochs >= 1,
      );
      return r?.reported !== undefined && trained;
    });
    await budgets.set({ amount: 61, windowMs });
    await advanceUntil(bed.env, async () =>
      (await Promise.all([older.describe(), newer.describe()])).every((d) => d.status.name !== 'RUNNING'),
    );
    const result = await newer.result();
    if (!result.fleetBudgetStopped)
      throw new Error(
        `the newer pipeline was not stopped by the fleet budget: ${JSON.stringify({ result, budget: await budgets.state() })}`,
      );
    await save('pipeline-fleet-budget-stopped');
    // The newer pipeline's supervising child: with the pipeline's `costReportStep`, it reports cost steps.
    const childId = (await newer.fetchHistory()).events?.find(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
    )?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (childId) {
      const child = await bed.env.client.workflow.getHandle(childId).fetchHistory();
      fs.writeFileSync(
        path.join(out, `supervise-fleet-budget-stopped-${suffix}.json`),
        recordedHistoryJSON(child),
      );
      process.stderr.write(
        `wrote supervise-fleet-budget-stopped-${suffix}.json (${child.events?.length} events)\n`,
      );
    }
    const budget = await bed.env.client.workflow.getHandle(fleetBudgetId(bed.taskQueue)).fetchHistory();
    fs.writeFileSync(path.join(out, `fleet-budget-stops-${suffix}.json`), recordedHistoryJSON(budget));
    process.stderr.write(`wrote fleet-budget-stops-${suffix}.json (${budget.events?.length} events)\n`);
  }

  async function recordRest(): Promise<void> {
    if (wanted('pipeline-smoke-fails')) {
      // A deployment that fails its smoke test: the cleanup child started beside it is cancelled, and
      // the pipeline ends after it.
      const before = bed.sandbox.state.faults;
      bed.sandbox.state.faults = { ...before, inferenceStatus: 'FAILED' };
      const input = pipelineInput('recorded-smoke-fails', {
        train: tensoroneTrain({ config: { training: { epochs: 6 } } }),
      });
      await bed.env.client.workflow
        .execute(fineTuneToDeploy, {
          args: [parsePipelineInput(input)],
          memo: validatedInputMemo(),
          taskQueue: bed.taskQueue,
          workflowId: id('pipeline-smoke-fails'),
        })
        .catch(() => undefined);
      bed.sandbox.state.faults = before;
      await save('pipeline-smoke-fails');
      const cleanup = await bed.env.client.workflow
        .getHandle(`${id('pipeline-smoke-fails')}/cleanup`)
        .fetchHistory();
      fs.writeFileSync(
        path.join(out, `cleanup-child-cancelled-${suffix}.json`),
        recordedHistoryJSON(cleanup),
      );
      process.stderr.write(
        `wrote cleanup-child-cancelled-${suffix}.json (${cleanup.events?.length} events)\n`,
      );
    }
    if (wanted('supervise-stalled-resumed')) {
      bed.sandbox.state.faults = {
        ...bed.sandbox.state.faults,
        stallAtEpoch: 2,
        stallJobNameContains: 'recorded-stall',
      };
      const jobId = bed.sandbox.state.createJob({ name: 'recorded-stall', totalEpochs: 4 }).id;
      const settings = {
        freshness: '5m',
        minInterval: '30s',
        stallAfter: '30m',
        resumeBudget: 2,
        unknownStatusGrace: '30m',
      };
      await bed.env.client.workflow.execute(superviseTrainingJob, {
        args: [{ provider: 'tensorone', jobId, ...settings }],
        taskQueue: bed.taskQueue,
        workflowId: id('supervise-stalled-resumed'),
      });
      await save('supervise-stalled-resumed');
    }
    if (wanted('serving-slot')) {
      // A slot promoted to twice, rolled back during the drain, then retiring what it replaced.
      const input = pipelineInput('recorded-slot', {
        deploy: { target: 'tensorone-endpoint', retireAfter: '1h' },
      });
      // The same workflow id twice, as a rerun of a pipeline file is (its job's curve is the same: a tie).
      for (let n = 0; n < 2; n++)
        await bed.env.client.workflow.execute(fineTuneToDeploy, {
          args: [input],
          taskQueue: bed.taskQueue,
          workflowId: id('pipeline-promoted'),
        });
      const slots = servingSlots(bed.env.client, bed.taskQueue);
      await slots.rollback('recorded-slot', { by: 'ada', reason: 'recorded rollback' });
      await advanceUntil(bed.env, async () => ((await slots.read('recorded-slot'))?.retired.length ?? 0) > 0);
      const slot = await bed.env.client.workflow
        .getHandle(servingSlotId('recorded-slot', bed.taskQueue))
        .fetchHistory();
      fs.writeFileSync(path.join(out, `serving-slot-${suffix}.json`), recordedHistoryJSON(slot));
      process.stderr.write(`wrote serving-slot-${suffix}.json (${slot.events?.length} events)\n`);
    }
    if (wanted('pipeline-early-stopped')) {
      // A 20-epoch job whose validation loss flattens: stopped early, then compared, gated, deployed.
      const input = pipelineInput('recorded-early-stop', {
        train: {
          ...tensoroneTrain({
            config: { baseModel: 'meta-llama/Llama-2-7b-hf', strategy: 'lora', training: { epochs: 20 } },
          }),
          earlyStop: { patience: 2, minDelta: 0.01 },
        },
        gate: { threshold: 5 },
      });
      await bed.env.client.workflow.execute(fineTuneToDeploy, {
        args: [input],
        taskQueue: bed.taskQueue,
        workflowId: id('pipeline-early-stopped'),
      });
      await save('pipeline-early-stopped');
      const events = (await bed.env.client.workflow.getHandle(id('pipeline-early-stopped')).fetchHistory())
        .events;
      const childId = events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
        ?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (childId) {
        const child = await bed.env.client.workflow.getHandle(childId).fetchHistory();
        fs.writeFileSync(
          path.join(out, `supervise-early-stopped-${suffix}.json`),
          recordedHistoryJSON(child),
        );
        process.stderr.write(`wrote supervise-early-stopped-${suffix}.json (${child.events?.length} events)
`);
      }
    }
    if (wanted('pipeline-deployed-at-once')) {
      // A provider whose create answer already says the endpoint is active: no readiness read.
      await deployingAtOnce(bed.sandbox, () =>
        bed.env.client.workflow.execute(fineTuneToDeploy, {
          args: [parsePipelineInput(pipelineInput('recorded-at-once', { gate: { threshold: 5 } }))],
          memo: validatedInputMemo(),
          taskQueue: bed.taskQueue,
          workflowId: id('pipeline-deployed-at-once'),
        }),
      );
      await save('pipeline-deployed-at-once');
    }
    if (wanted('cleanup-run')) {
      const seeded = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('recorded-cleanup', 30);
      await bed.env.client.workflow.execute(checkpointCleanup, {
        args: [{ jobIds: [seeded.jobId], retention: { keepLastN: 5 } }],
        taskQueue: bed.taskQueue,
        workflowId: id('cleanup-run'),
      });
      await save('cleanup-run');
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
