/**
 * Sweep with successive halving against running every trial to the end: 16 trials (a grid of 4
 * learning rates × 4 LoRA ranks), 8 epochs each, halving at epochs 1, 2 and 4 keeping half, 4 trials
 * at a time, over several sandbox seeds (each seed another dataset optimum and other noise). Each seed
 * runs the real pipeline (a time-skipping server, the sandbox on its clock) to a deploy.
 *   npx tsx bench/sweep.ts [--quick] [--seeds N]
 *
 * GPU-hours are the sandbox's own (`gpuHours` of every trial job: stopped jobs bill until they stop).
 * Running all 16 to the end bills 16 × 8 GPU-hours (the sandbox bills an epoch as a GPU-hour per
 * worker). The true best is every trial's best validation loss over all 8 epochs, read from the
 * sandbox's curves as if each had run to the end; the deployed trial counts as right when it is the
 * true best or within `MIN_DELTA` of it.
 */
import { epochMetrics } from '../sandbox/curves';
import { ensureEngines } from '../engine';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { pipelineWorkflowId, type PipelineInput } from '../src/domain/pipeline-input';
import { fineTuneToDeploy } from '../src/workflows';
import { startTimeSkippingEnv } from '../test/harness/temporal';
import { startWorkflowTestBed } from '../test/harness/workflow-env';
import { benchHeader, quick, table } from './report';

const EPOCHS = 8;
const LEARNING_RATES = [3e-5, 1e-4, 3e-4, 1e-3];
const RANKS = [8, 16, 32, 64];
const MIN_DELTA = 0.02;
const DATASET = 'ds_support_tickets';

function seedsWanted(): number {
  const at = process.argv.indexOf('--seeds');
  if (at >= 0) return Number(process.argv[at + 1]);
  return quick ? 2 : 20;
}

async function main(): Promise<void> {
  process.env.FTP_TEST_SERVER_PATH ??= (await ensureEngines({ devServer: false })).testServer;
  const env = await startTimeSkippingEnv();
  const bed = await startWorkflowTestBed({}, { shared: env });
  const rows: (string | number)[][] = [];
  let right = 0;
  let hoursSwept = 0;
  let hoursAll = 0;
  const lateBy: number[] = [];
  const seeds = seedsWanted();
  try {
    for (let seed = 1; seed <= seeds; seed++) {
      // The sandbox's curves follow its seed: each seed is another problem.
      (bed.sandbox.state.options as { seed: number }).seed = seed;
      const name = `bench-sweep-${seed}`;
      const input: PipelineInput = pipelineInput(name, {
        train: {
          ...tensoroneTrain({ datasetId: DATASET }),
          config: {
            baseModel: 'meta-llama/Llama-2-7b-hf',
            strategy: 'lora',
            training: { epochs: EPOCHS, learning_rate: 2e-4 },
          },
          sweep: {
            parameters: { 'training.learning_rate': LEARNING_RATES, 'parameters.rank': RANKS },
            parallel: 4,
            halving: { rungs: [1, 2, 4], keep: 0.5 },
          },
        } as PipelineInput['train'],
        cleanup: { enabled: false },
      });
      const result = await bed.withWorker(() =>
        bed.env.client.workflow.execute(fineTuneToDeploy, {
          args: [input],
          taskQueue: bed.taskQueue,
          workflowId: pipelineWorkflowId(name),
        }),
      );
      const jobs = [...bed.sandbox.state.jobs.values()].filter((j) =>
        j.name.startsWith(`pipeline-${name}--`),
      );
      const hours = jobs.reduce((sum, j) => sum + bed.sandbox.state.gpuHours(j), 0);
      const all = jobs.length * EPOCHS;
      // Every trial's best over all its epochs, had it run to the end.
      const truth = jobs.map((j) => ({
        id: j.id,
        best: Math.min(
          ...Array.from(
            { length: EPOCHS },
            (_, e) =>
              epochMetrics(seed, j.name, e + 1, EPOCHS, { datasetId: j.datasetId, config: j.config })
                .validationLoss,
          ),
        ),
      }));
      const trueBest = truth.reduce((a, b) => (b.best < a.best ? b : a));
      const deployed = result.checkpoint?.value ?? Number.NaN;
      const ok = result.jobId === trueBest.id || deployed - trueBest.best <= MIN_DELTA;
      if (ok) right += 1;
      hoursSwept += hours;
      hoursAll += all;
      const rungStopped = result.sweep?.trials.filter((t) => t.state === 'rung-stopped') ?? [];
      const stopped = rungStopped.length;
      // What a stopped trial was billed past the rung that stopped it (an epoch is a GPU-hour): the
      // verdict→stop latency, in epochs.
      for (const t of rungStopped) {
        const verdict = t.rungs.find((g) => g.stop);
        const job = jobs.find((j) => j.id === t.jobId);
        if (verdict && job) lateBy.push(bed.sandbox.state.gpuHours(job) - verdict.epoch);
      }
      process.stderr.write(
        `seed ${seed}: ${jobs.length} trials, ${stopped} stopped at a rung, ${hours.toFixed(2)} of ${all} GPU-hours, deployed ${ok ? 'the true best (or within)' : 'not the true best'}\n`,
      );
      rows.push([
        seed,
        jobs.length,
        stopped,
        Math.round(hours * 100) / 100,
        all,
        `${Math.round((hours / all) * 1000) / 10} %`,
        deployed,
        trueBest.best,
        result.jobId === trueBest.id ? 'yes' : ok ? `within ${MIN_DELTA}` : 'no',
      ]);
    }
  } finally {
    await bed.teardown();
    await env.teardown();
  }
  process.stdout.write(
    [
      benchHeader('Sweep: successive halving against all trials to the end'),
      `16 trials (learning rate ${LEARNING_RATES.join(', ')} × rank ${RANKS.join(', ')}), ${EPOCHS} epochs, rungs 1/2/4 keep 1/2, 4 at a time; dataset ${DATASET}`,
      '',
      table(
        [
          'seed',
          'trials',
          'stopped at a rung',
          'GPU-hours',
          'all to the end',
          'share',
          'deployed validationLoss',
          'true best',
          'deployed the true best',
        ],
        rows,
      ),
      '',
      `Epochs billed past the rung that stopped a trial (verdict → stop): ${lateBy.length ? `mean ${(lateBy.reduce((a, b) => a + b, 0) / lateBy.length).toFixed(2)}, max ${Math.max(...lateBy).toFixed(2)} over ${lateBy.length} stops` : 'no stops'}`,
      '',
      `GPU-hours: ${Math.round(hoursSwept * 10) / 10} of ${hoursAll} (${Math.round((hoursSwept / hoursAll) * 1000) / 10} %); the true best (or within ${MIN_DELTA}) deployed in ${right} of ${seeds} seeds (${Math.round((right / seeds) * 100)} %)`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
