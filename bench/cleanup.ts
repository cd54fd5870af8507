/**
 * Cleanup throughput: one job with 10,000 checkpoints (2,000 with --quick), deleted by the
 * checkpointCleanup workflow with bounded concurrency on the dev server, against the sandbox's own
 * delete capacity measured in the same run by a plain loop with the same concurrency.
 *   npx tsx bench/cleanup.ts [--quick]
 */
import { sandboxAdmin } from '../sandbox/admin-client';
import type { CleanupResult } from '../src/workflows/definitions';
import { startBenchBed } from './bed';
import { benchHeader, quick, table } from './report';
import { checkpointCleanup } from '../src/workflows';

async function main(): Promise<void> {
  const n = quick ? 2000 : 10_000;
  const concurrency = 8;
  const bed = await startBenchBed('bench-cleanup', { seed: 3 }, { maxConcurrentActivityTaskExecutions: 100 });
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
  t = performance.now();
  const result = (await env.client.workflow.execute(checkpointCleanup, {
    taskQueue: 'bench-cleanup',
    workflowId: 'bench-cleanup',
    args: [{ jobIds: [viaTemporal.jobId], retention: { keepLastN: 0 }, maxDeletes: n + 10, concurrency }],
  })) as CleanupResult;
  const temporalSeconds = (performance.now() - t) / 1000;
  await bed.close();

  process.stdout.write(
    `${benchHeader(`Cleanup: one job with ${n} checkpoints, ${concurrency} deletes in flight`)}\n` +
      table(
        ['how', 'deleted', 'seconds', 'deletes/s', 'workflow runs (continue-as-new)'],
        [
          ['sandbox capacity (plain loop)', ids.length, directSeconds, ids.length / directSeconds, '-'],
          [
            'checkpointCleanup on Temporal',
            result.deletedCount,
            temporalSeconds,
            result.deletedCount / temporalSeconds,
            result.runs,
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
