/**
 * Overhead: one whole pipeline on the sandbox with zero provider latency, run by Temporal (dev server,
 * real worker) and by a plain sequential script making the same provider calls in the same process.
 * Prints the ratio and Temporal's overhead per pipeline step (PIPELINE_STEPS) excluding deliberate waits, and a breakdown of where
 * one pipeline's wall time goes (bench/breakdown.ts), and the serial floor: as many activities doing
 * nothing, one after another, on the same server (bench/floor.ts). `--cluster` adds the cluster of
 * `npm run cluster` as shipped (PostgreSQL, 16 shards, no dynamic config), which must be running.
 * `--provider-queues` runs the provider activities on their own task queues, as the worker process
 * (src/worker.ts) does, with no limit set; by default they share the workflow's queue.
 *   npx tsx bench/overhead.ts [--quick] [--cluster | --cluster-only] [--provider-queues]
 */
import { chooseCandidate } from '../src/decisions/candidate';
import { planCleanup } from '../src/decisions/retention';
import type { ProviderClients } from '../src/providers/config';
import { devServerTuningArgs } from '../engine/dev-server-tuning';
import { startBenchBed } from './bed';
import { serialFloorMsPerStep } from './floor';
import { fastSupervision, pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { benchHeader, flag, percentile, quick, table } from './report';
import { BREAKDOWN_HEADERS, breakdownRows, pipelineFigures, type Attribution } from './breakdown';
import { clusterSettingsInUse, frontendAddress } from '../scripts/cluster/settings';
import { fineTuneToDeploy } from '../src/workflows';
import { parsePipelineInput } from '../src/domain/pipeline-input';
import { validatedInputMemo } from '../src/domain/validated-input';
import { protectionRegistryId } from '../src/workflows/protection/contract';
import { servingSlotId } from '../src/workflows/serving-slot/contract';

const runs = quick ? 5 : 20;
/**
 * The pipeline's steps the per-step figure divides by: its provider calls and children as the issue
 * counts them (19 at d701c0c, the same pipeline's work today). A step that now rides with another (a
 * lease with its deletions, a readiness read an active create answer makes needless) is still work the
 * pipeline does, so fewer round trips lower the per-step figure instead of leaving it where it was. The
 * history's own count of activities and children is its own column.
 */
const PIPELINE_STEPS = 19;
/**
 * The worker's task queue, new for each run of the benchmark. The serving slots and the protection
 * registry are per task queue and live on past a run on a cluster: on a queue used before, a run would
 * promote into slots whose champions drain and retire, claim in a registry whose history earlier runs
 * (or another commit's code) made, and so measure what ran before it. On its own queue every run starts
 * as on a fresh dev server, and ends its slots and registry when done.
 */
const taskQueue = `bench-overhead${flag('provider-queues') ? '-provider-queues' : ''}-${Date.now().toString(36)}`;

interface Configuration {
  label: string;
  devServerArgs?: string[];
  existingServer?: { address: string; namespace: string };
}

/** The dev server as shipped, with the project's tuning (engine/dev-server-tuning.ts), and the cluster. */
const configurations: Configuration[] = flag('cluster-only')
  ? []
  : [
      { label: 'dev server defaults', devServerArgs: [] },
      { label: 'project tuning', devServerArgs: devServerTuningArgs() },
    ];
if (flag('cluster') || flag('cluster-only')) {
  const cluster = clusterSettingsInUse(process.env, `${__dirname}/..`);
  configurations.push({
    label: `cluster as shipped (PostgreSQL, ${cluster.shards} shards)`,
    existingServer: { address: frontendAddress(cluster), namespace: cluster.namespace },
  });
}

async function main(): Promise<void> {
  const rows: (string | number)[][] = [];
  const breakdowns: string[] = [];
  for (const c of configurations) {
    const m = await measure(c);
    rows.push([c.label, ...m.row]);
    breakdowns.push(
      `### Where one pipeline's wall time goes: ${c.label} (medians of ${runs} runs)\n\n` +
        table(BREAKDOWN_HEADERS, breakdownRows(m.attributions)),
    );
  }
  process.stdout.write(
    `${benchHeader('Overhead: a whole pipeline, Temporal vs a plain script (sandbox, zero latency)')}\n` +
      table(
        [
          'server',
          'runs',
          'Temporal p50 ms (wall)',
          'deliberate waits p50 ms',
          'Temporal p50 ms (excl. deliberate waits)',
          'script p50 ms',
          'ratio',
          'activities + child workflows',
          'script calls',
          `overhead per step ms (÷ ${PIPELINE_STEPS} pipeline steps, excl. deliberate waits)`,
          'serial floor per step ms',
          'overhead / floor',
        ],
        rows,
      ) +
      '\n\n' +
      breakdowns.join('\n\n') +
      '\n',
  );
}

async function measure(
  configuration: Configuration,
): Promise<{ row: number[]; attributions: Attribution[] }> {
  // Training finishes before the first poll and deployments are active at once: what is left is overhead.
  const bed = await startBenchBed(
    taskQueue,
    { epochMs: 1, queueMs: 0, deployMs: 0, seed: 1 },
    {},
    { ...configuration, providerQueues: flag('provider-queues') },
  );
  const { env, clients } = bed;

  const temporalMs: number[] = [];
  const scriptMs: number[] = [];
  let steps = 0;
  let scriptCalls = 0;
  const deliberate: number[] = [];
  const attributions: Attribution[] = [];
  const train = tensoroneTrain({ config: { training: { epochs: 4 } } });
  const longLived = [protectionRegistryId(taskQueue)];
  for (let i = 0; i < runs + 1; i++) {
    const input = pipelineInput(`bench-${i}`, {
      train,
      // The confirming second look at the completed job waits its minInterval, 1 s (a deliberate wait,
      // in its own column). A shorter one would not shorten it: the server holds an activity's retry
      // about a second at least, whatever delay the activity asks for.
      supervision: fastSupervision,
      deploy: { target: 'tensorone-endpoint', timeout: '1m' },
    });
    longLived.push(servingSlotId(input.name, taskQueue));
    let t = performance.now();
    // Started as the starter starts a pipeline: the spec it validated, and the memo saying so.
    await env.client.workflow.execute(fineTuneToDeploy, {
      args: [parsePipelineInput(input)],
      memo: validatedInputMemo(),
      taskQueue,
      workflowId: `${taskQueue}-${i}`,
    });
    const tTemporal = performance.now() - t;
    t = performance.now();
    const calls = await plainScript(clients, `script-${i}`);
    const tScript = performance.now() - t;
    if (i === 0) continue; // warm-up: bundle, caches, JIT
    temporalMs.push(tTemporal);
    scriptMs.push(tScript);
    scriptCalls = calls;
    const figures = await pipelineFigures(env.client, `${taskQueue}-${i}`, [
      servingSlotId(input.name, taskQueue),
      protectionRegistryId(taskQueue),
    ]);
    steps = figures.steps;
    deliberate.push(figures.deliberateMs);
    attributions.push(figures.attribution);
  }
  // The same number of steps, one after another and doing nothing, on the same server (bench/floor.ts).
  const floor = await serialFloorMsPerStep(env, PIPELINE_STEPS, runs);
  // This run's slots and registry end with it: a cluster keeps nothing idle of a benchmark's.
  await Promise.all(
    longLived.map((id) =>
      env.client.workflow
        .getHandle(id)
        .terminate('the overhead benchmark ended')
        .catch(() => undefined),
    ),
  );
  await bed.close();

  // A deliberate wait (a durable timer, the confirming second look, readiness polls) waits by design;
  // the rest is what Temporal adds.
  const busy = temporalMs.map((t, i) => t - deliberate[i]);
  const t50 = percentile(busy, 50);
  const s50 = percentile(scriptMs, 50);
  const row = [
    runs,
    percentile(temporalMs, 50),
    percentile(deliberate, 50),
    t50,
    s50,
    t50 / s50,
    steps,
    scriptCalls,
    (t50 - s50) / PIPELINE_STEPS,
    floor,
    (t50 - s50) / PIPELINE_STEPS / floor,
  ];
  return { row, attributions };
}

/** The documents' own recipe, in sequence, with the same decisions: what a cron script would do. */
async function plainScript(c: ProviderClients, name: string): Promise<number> {
  let calls = 0;
  const call = <T>(p: Promise<T>) => (calls++, p);
  const job = await call(
    c.tensorone.jobs.create({
      name,
      modelType: 'llm',
      datasetId: 'ds_bench',
      config: { training: { epochs: 4 } },
      gpuType: 'a100',
    }),
  );
  while ((await call(c.tensorone.jobs.get(job.id))).status !== 'completed')
    await new Promise((r) => setTimeout(r, 1));
  const page = await call(c.tensorone.checkpoints.list(job.id, { limit: 100 }));
  const choice = chooseCandidate(page.checkpoints, {
    metric: 'validationLoss',
    direction: 'minimize',
    tieBreak: 'earliest-epoch',
  })!;
  const ep = await call(
    c.tensorone.endpoints.create({
      name,
      checkpointId: choice.checkpoint.id,
      gpuIds: ['a100'],
      workerCount: 1,
    }),
  );
  // The sandbox's extended profile serves the (assumed) endpoint read.
  while (((await call(c.tensorone.endpoints.get(ep.id))) as { status?: string }).status !== 'active')
    await new Promise((r) => setTimeout(r, 1));
  await call(c.tensorone.endpoints.runsync(ep.id, { prompt: 'hi' }));
  const all = await call(c.tensorone.checkpoints.list(job.id, { limit: 100 }));
  const plan = planCleanup(
    all.checkpoints.map((x) => ({ ...x, jobId: job.id })),
    { keepLastN: 2 },
    [choice.checkpoint.id],
    Date.now(),
  );
  for (const d of plan.delete) await call(c.tensorone.checkpoints.delete(d.id));
  return calls;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
