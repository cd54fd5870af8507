/**
 * Early stop: GPU-hours with and without `earlyStop` over seeded sandbox curves (20 epochs each; the
 * curve is seeded by the job's name), and the metric of the checkpoint the compare step would choose in
 * both. Each early-stopped job is supervised by the real workflow (time-skipping server, real
 * activities); the same curve runs to its end beside it unsupervised. GPU time is what the sandbox
 * billed (`/admin/state` gpuSeconds), the chosen metric the lowest validation loss among the job's
 * checkpoints: measured at the provider, not computed by the project.
 *   npx tsx bench/early-stop.ts [--quick] [--curves 50]
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { sandboxAdmin } from '../sandbox/admin-client';
import type { AdminState } from '../sandbox/admin-routes';
import { startSandbox } from '../sandbox/server';
import type { EarlyStopRule } from '../src/decisions/early-stop';
import { createProviderClients } from '../src/providers/config';
import { createWorker, defaultWorkerSettings } from '../src/worker-factory';
import type { SuperviseInput, SupervisionResult } from '../src/workflows/supervise/contract';
import { superviseTrainingJob } from '../src/workflows';
import { benchHeader, option, quick, table } from './report';

const EPOCH_MS = 10 * 60_000;
const EPOCHS = 20;
const MIN_DELTA = 0.01;
const PATIENCES = [2, 3];
/**
 * Supervisions run at once on the one worker (`--at-once`). One by default: several at once on the
 * time-skipping server did not all finish (one of two waited past 5 minutes of wall clock).
 */
const AT_ONCE = Number(option('at-once') ?? 1);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const curves = Number(option('curves') ?? (quick ? 10 : 50));
  const { testServer } = await ensureEngines({ devServer: false });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  const sandbox = await startSandbox({
    epochMs: EPOCH_MS,
    queueMs: 60_000,
    seed: 11,
    timeSource: () => env.currentTimeMs(),
  });
  const taskQueue = 'bench-early-stop';
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    providers: createProviderClients(sandbox.endpoints),
    settings: defaultWorkerSettings(),
    overrides: { shutdownGraceTime: 0 },
  });
  const curveName = (i: number) => `bench-curve-${i}`;
  const stopped = new Map<number, { jobId: string; curve: number; result: SupervisionResult }[]>();
  const baseline: { jobId: string; curve: number }[] = [];
  const started = Date.now();

  await worker.runUntil(async () => {
    for (const patience of PATIENCES) {
      const rule: EarlyStopRule = {
        patience,
        minDelta: MIN_DELTA,
        metric: 'validationLoss',
        direction: 'minimize',
        minEpochs: 0,
      };
      const runs: { jobId: string; curve: number; result: SupervisionResult }[] = [];
      for (let from = 0; from < curves; from += AT_ONCE) {
        await sandbox.state.syncClock();
        const batch = Array.from({ length: Math.min(AT_ONCE, curves - from) }, (_, k) => from + k);
        runs.push(
          ...(await Promise.all(
            batch.map(async (curve) => {
              const jobId = sandbox.state.createJob({ name: curveName(curve), totalEpochs: EPOCHS }).id;
              const input: SuperviseInput = {
                provider: 'tensorone',
                jobId,
                // A look at least every half epoch: the stop comes at the first look after a checkpoint.
                freshness: '5m',
                minInterval: '1m',
                stallAfter: '6h',
                resumeBudget: 0,
                unknownStatusGrace: '1h',
                earlyStop: rule,
              };
              const result = (await env.client.workflow.execute(superviseTrainingJob, {
                args: [input],
                taskQueue,
                workflowId: `bench-early-stop-p${patience}-${curve}`,
              })) as SupervisionResult;
              process.stderr.write(
                `patience ${patience} curve ${curve}: ${result.outcome}${result.earlyStop ? ` at epoch ${result.earlyStop.atEpoch}` : ''}\n`,
              );
              return { jobId, curve, result };
            }),
          )),
        );
      }
      stopped.set(patience, runs);
    }
    // The same curves, trained to the end with nobody stopping them.
    await sandbox.state.syncClock();
    for (let curve = 0; curve < curves; curve++)
      baseline.push({
        jobId: sandbox.state.createJob({ name: curveName(curve), totalEpochs: EPOCHS }).id,
        curve,
      });
    await env.sleep(EPOCHS * EPOCH_MS + 10 * 60_000);
  });

  const admin = (await sandboxAdmin(sandbox.url).state()) as unknown as AdminState;
  const gpuSeconds = new Map(admin.jobs.map((j) => [j.id, j.gpuSeconds]));
  const chosen = (jobId: string) =>
    Math.min(
      ...sandbox.state.checkpoints
        .everOfJob(jobId)
        .map((c) => c.metrics.validationLoss)
        .filter((v) => Number.isFinite(v)),
    );
  const full = new Map(baseline.map((b) => [b.curve, b.jobId]));
  const unfinished = baseline.filter((b) => sandbox.state.jobs.get(b.jobId)?.status !== 'completed');
  if (unfinished.length) throw new Error(`${unfinished.length} baseline jobs did not complete`);
  const hours = (jobIds: string[]) => jobIds.reduce((s, id) => s + (gpuSeconds.get(id) ?? NaN), 0) / 3600;

  const rows = PATIENCES.map((patience) => {
    const runs = stopped.get(patience)!;
    const early = runs.filter((r) => r.result.outcome === 'early-stopped').length;
    const withHours = hours(runs.map((r) => r.jobId));
    const withoutHours = hours(runs.map((r) => full.get(r.curve)!));
    const gaps = runs.map((r) => chosen(r.jobId) - chosen(full.get(r.curve)!));
    const within = gaps.filter((g) => g <= MIN_DELTA + 1e-9).length;
    const claimed = runs.reduce((s, r) => s + (r.result.earlyStop?.gpuHoursSaved ?? 0), 0);
    return [
      `patience ${patience}, minDelta ${MIN_DELTA}`,
      `${early} of ${runs.length}`,
      withoutHours,
      withHours,
      `${(100 * (1 - withHours / withoutHours)).toFixed(1)} %`,
      `${(withoutHours - withHours).toFixed(1)} / ${claimed.toFixed(1)}`,
      `${within} of ${runs.length}`,
      gaps.reduce((s, g) => s + g, 0) / gaps.length,
      Math.max(...gaps),
    ];
  });
  process.stdout.write(
    [
      benchHeader(`Early stop over ${curves} seeded curves of ${EPOCHS} epochs`),
      table(
        [
          'rule',
          'stopped early',
          'GPU-hours without',
          'GPU-hours with',
          'saved',
          'saved: measured / claimed at pace',
          'chosen within minDelta',
          'mean chosen gap',
          'worst chosen gap',
        ],
        rows,
      ),
      '',
      `(${((Date.now() - started) / 1000).toFixed(0)} s wall clock)`,
      '',
    ].join('\n'),
  );
  await sandbox.close();
  await env.teardown();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
