import type { Command } from 'commander';
import type { ReconcileResult } from '../../decisions/reconcile';
import { parseDuration } from '../../domain/duration';
import { durationFlag } from '../flags';
import { out } from '../io';
import { withClient } from '../with-client';

/** `starter reconcile`: stop or remove what pipeline runs that closed (or vanished) left billing. */
export function addReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('stop or remove what pipeline runs closed or gone past the grace left billing')
    .option(
      '--grace <duration>',
      'how long an owning run must have been closed',
      durationFlag('reconcile.grace'),
      '1h',
    )
    .option('--dry-run', 'report what would be done, change nothing')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { grace: string; dryRun?: boolean; json?: boolean }) => {
      const input = { dryRun: !!opts.dryRun, graceMs: parseDuration(opts.grace)! };
      await withClient(async ({ client, taskQueue }) => {
        const { reconcileOrphans } = await import('../../workflows/reconcile');
        const { requireWorker } = await import('../workers');
        await requireWorker(client, taskQueue, `reconcile${input.dryRun ? ' (dry run)' : ''}`);
        const result = await client.workflow.execute(reconcileOrphans, {
          taskQueue,
          workflowId: `reconcile-orphans-${Date.now()}`,
          args: [input],
          staticSummary: `${input.dryRun ? 'dry run: ' : ''}reconcile orphans (grace ${opts.grace})`,
        });
        if (opts.json) return out(result);
        for (const line of reconcileLines(result)) out(line);
      });
    });
}

/** The result for a person: the counts, what cannot be seen, then each resource and why. */
export function reconcileLines(result: ReconcileResult): string[] {
  const c = result.counts;
  const lines = [
    `${result.dryRun ? 'dry run: would stop' : 'stop'} ${c.stop}, ${result.dryRun ? 'would remove' : 'remove'} ${c.remove}, remove by hand ${c['remove-by-hand']}, keep ${c.keep} (${result.notOurs} resources not named after a pipeline run were not considered)`,
  ];
  for (const u of result.unseen) lines.push(`  cannot see ${u.what}: the provider has no ${u.route}`);
  for (const r of result.resources)
    lines.push(
      `  ${r.action.padEnd(14)} ${r.kind} ${r.id} ${r.name}${r.outcome ? ` → ${r.outcome}` : ''}${r.failure ? ` (${r.failure})` : ''}: ${r.reason}`,
    );
  return lines;
}
