/**
 * Cleanup throughput: one job with 10,000 checkpoints (2,000 with --quick), deleted by the
 * checkpointCleanup workflow with bounded concurrency on the dev server, against the sandbox's own
 * delete capacity measured in the same run by a plain loop with the same concurrency.
 * With `--max-rps R` the worker runs the provider queues with TENSORONE_MAX_RPS=R (as a fleet with a
 * provider rate limit), and the figure to compare with is R, when it is below the sandbox's capacity.
 *   npx tsx bench/cleanup.ts [--quick] [--n N] [--max-rps R]
 */
import { sandboxAdmin } from '../sandbox/admin-client';
import type { CleanupResult } from '../src/workflows/cleanup/contract';
import { startBenchBed } from './bed';
import { benchHeader, option, quick, table } from './report';
import { checkpointCleanup } from '../src/workflows';

/** `--name`'s number, refused (exit 2, naming the option) unless it is a number above 0 (whole: `--n`). */
function positiveOption(name: string, whole: boolean): number | undefined {
  const raw = option(name); // a `--name` without a value is refused there
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (whole && !Number.isInteger(value))) {
    process.stderr.write(
      `cleanup: --${name} must be ${whole ? 'a whole number of at least 1' : 'a number of requests per second above 0, such as 5 or 0.5'}, got "${raw}"\n`,
    );
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const n = positiveOption('n', true) ?? (quick ? 2000 : 10_000);
  const maxRps = positiveOption('max-rps', false);
  const concurrency = 8;
  const bed = await startBenchBed(
    'bench-cleanup',
    { seed: 3 },
    { maxConcurrentActivityTaskExecutions: 100 },
    maxRps === undefined ? {} : { tensoroneMaxRps: maxRps },
  );
  const { env, sandbox, clients } = bed;
  const admin = sandboxAdmin(sandbox.url);

  // The sandbox's own capacity: the same deletes, same concurrency, straight from a loop.
  const direct = await admin.seedCompletedJob('direct', n);
  const ids = sandbox.state
    .jobCheckpoints(direct.jobId)
    .filter((c) => c.type === 'automatic')
    .map((c) => c.id);
  let t = performance.now();
  for (let i = 0; i < ids.length; i += concurrency)
    await Promise.all(ids.slice(i, i + concurrency).map((id) => clients.tensorone.checkpoints.delete(id)));
  const directSeconds = (performance.now() - t) / 1000;

  const viaTemporal = await admin.seedCompletedJob('via-temporal', n);
  const startedAtMs = Date.now();
  t = performance.now();
  const result = (await env.client.workflow.execute(checkpointCleanup, {
    taskQueue: 'bench-cleanup',
    workflowId: 'bench-cleanup',
    args: [{ jobIds: [viaTemporal.jobId], retention: { keepLastN: 0 }, maxDeletes: n + 10, concurrency }],
  })) as CleanupResult;
  const temporalSeconds = (performance.now() - t) / 1000;
  // The sandbox keeps its last 5,000 requests: the peak is over those (all of them with --quick).
  const deleteTimes = sandbox.state.requestLog
    .filter((r) => r.method === 'DELETE' && r.at >= startedAtMs)
    .map((r) => r.at);
  const peak = peakInWindow(deleteTimes, 1000);
  const peak5s = peakInWindow(deleteTimes, 5000) / 5;
  if (process.env.BENCH_DUMP_TIMES) {
    const t0 = Math.min(...deleteTimes);
    const perSecond = new Map<number, number>();
    for (const at of deleteTimes)
      perSecond.set(Math.floor((at - t0) / 1000), (perSecond.get(Math.floor((at - t0) / 1000)) ?? 0) + 1);
    process.stderr.write(`${JSON.stringify([...perSecond])}\n`);
  }
  await bed.close();

  process.stdout.write(
    `${benchHeader(
      `Cleanup: one job with ${n} checkpoints, ${concurrency} deletes in flight` +
        (maxRps === undefined ? '' : `, TENSORONE_MAX_RPS=${maxRps}`),
    )}\n` +
      table(
        [
          'how',
          'deleted',
          'seconds',
          'deletes/s',
          'peak deletes in one second',
          'peak deletes/s over 5 s',
          'workflow runs (continue-as-new)',
        ],
        [
          [
            'sandbox capacity (plain loop)',
            ids.length,
            directSeconds,
            ids.length / directSeconds,
            '-',
            '-',
            '-',
          ],
          [
            'checkpointCleanup on Temporal',
            result.deletedCount,
            temporalSeconds,
            result.deletedCount / temporalSeconds,
            peak,
            peak5s,
            result.runs,
          ],
        ],
      ) +
      '\n',
  );
}

/** The most timestamps falling in any window of `ms`. */
function peakInWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
