/**
 * API economy: one supervised job of several simulated days (a time-skipping server; the sandbox on
 * its clock, one epoch per hour), polled with a 5-minute freshness. Prints provider calls per job-hour
 * against the minimum that notices completion within the freshness (one look per window), and history
 * events per job-day and per run.
 *   npx tsx bench/api-economy.ts [--quick]
 */
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { createProviderClients } from '../src/providers/config';
import { startSandbox } from '../sandbox/server';
import type { SuperviseInput, SupervisionResult } from '../src/workflows/supervise/contract';
import { benchHeader, quick, table } from './report';
import { createWorker, defaultWorkerSettings } from '../src/worker-factory';
import { superviseTrainingJob } from '../src/workflows';

const HOUR = 3_600_000;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const days = quick ? 3 : 10;
  const freshnessMinutes = 5;
  const { testServer } = await ensureEngines({ devServer: false });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  const sandbox = await startSandbox({
    epochMs: HOUR,
    queueMs: 10 * 60_000,
    seed: 5,
    timeSource: () => env.currentTimeMs(),
  });
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue: 'bench-economy',
    providers: createProviderClients(sandbox.endpoints),
    settings: defaultWorkerSettings(),
    overrides: { shutdownGraceTime: 0 },
  });
  const job = sandbox.state.createJob({ name: 'economy', totalEpochs: days * 24 });
  const input: SuperviseInput = {
    provider: 'tensorone',
    jobId: job.id,
    freshness: `${freshnessMinutes}m`,
    minInterval: '30s',
    stallAfter: '2h',
    resumeBudget: 0,
    unknownStatusGrace: '1h',
  };
  const started = Date.now();
  const { result, handle } = await worker.runUntil(async () => {
    const h = await env.client.workflow.start(superviseTrainingJob, {
      args: [input],
      taskQueue: 'bench-economy',
      workflowId: 'bench-economy',
    });
    return { result: (await h.result()) as SupervisionResult, handle: h };
  });
  const wallSeconds = (Date.now() - started) / 1000;
  const jobHours = (job.endedAtMs! - job.createdAtMs) / HOUR;
  // Its own reads and the sweeps of the job list (one job alone: one list page a sweep).
  const calls = sandbox.state.requestLog.filter(
    (r) => r.path.endsWith(`/v2/training/jobs/${job.id}`) || r.path.endsWith('/v2/training/jobs'),
  ).length;
  const minimum = Math.ceil((jobHours * 60) / freshnessMinutes);

  // Walk the continue-as-new chain from the first run, counting events per run.
  const perRun: number[] = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await env.client.workflow
      .getHandle('bench-economy', runId)
      .fetchHistory();
    perRun.push(history.events?.length ?? 0);
    const last: temporal.api.history.v1.IHistoryEvent | undefined =
      history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  await sandbox.close();
  await env.teardown();
  const events = perRun.reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${benchHeader(`API economy: one job of ${days} simulated days, freshness ${freshnessMinutes} min`)}\n` +
      table(
        [
          'job-hours',
          'provider calls',
          'minimum calls',
          'calls / minimum',
          'calls per job-hour',
          'runs',
          'events per job-day',
          'max events in a run',
          'wall s',
        ],
        [
          [
            jobHours,
            calls,
            minimum,
            calls / minimum,
            calls / jobHours,
            result.runs,
            (events / jobHours) * 24,
            Math.max(...perRun),
            wallSeconds,
          ],
        ],
      ) +
      '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
