import { Option, type Command } from 'commander';
import { PIPELINE_PHASES } from '../../domain/pipeline-phases';
import { idFlag, wholeNumberFlag } from '../flags';
import { out } from '../io';
import { withClient } from '../with-client';

/** `starter list`: recent pipelines, filtered by the search attributes the workflows keep current. */
export function addListCommand(program: Command): void {
  program
    .command('list')
    .description('recent pipelines, filtered by the search attributes the workflows keep current')
    .addOption(
      new Option(
        '--phase <phase>',
        'pipelines in this phase (running ones, but for completed, cancelled and failed)',
      ).choices(PIPELINE_PHASES),
    )
    .addOption(new Option('--provider <provider>').choices(['tensorone', 'marqtune']))
    .option('--job <jobId>', 'pipelines of this training job', idFlag('train.jobId'))
    .option('--limit <n>', 'at most this many', wholeNumberFlag(1, 1000), 20)
    .option('--json', 'print as JSON')
    .action(
      async (opts: { phase?: string; provider?: string; job?: string; limit: number; json?: boolean }) =>
        withClient(async ({ client }) => {
          const rows: Record<string, unknown>[] = [];
          const limit = opts.limit;
          for await (const w of client.workflow.list({ query: listQuery(opts) })) {
            const sa = w.searchAttributes as Record<string, unknown[] | undefined>;
            rows.push({
              workflowId: w.workflowId,
              status: w.status.name,
              phase: sa.FtpPhase?.[0],
              provider: sa.FtpProvider?.[0],
              jobId: sa.FtpJobId?.[0] || undefined,
              startTime: w.startTime.toISOString(),
            });
            if (rows.length >= limit) break;
          }
          if (opts.json) return out(rows);
          if (!rows.length) return out('no pipelines match');
          const row = (id: unknown, status: unknown, phase: unknown, provider: unknown, job: unknown) =>
            `${String(id).padEnd(36)} ${String(status).padEnd(10)} ${String(phase).padEnd(18)} ${String(provider).padEnd(9)} ${String(job)}`.trimEnd();
          out(row('WORKFLOW ID', 'STATUS', 'PHASE', 'PROVIDER', 'JOB'));
          for (const r of rows)
            out(row(r.workflowId, r.status, r.phase ?? '-', r.provider ?? '-', r.jobId ?? ''));
        }),
    );
}

/** The phases a pipeline ends in: any other is one it passes through while its run runs. */
const ENDED_PHASES: readonly string[] = ['completed', 'cancelled', 'failed'];

/**
 * The visibility query of `starter list`. A run keeps the last phase it recorded: one terminated while
 * it waited for the budget still reads `awaiting-budget`, so a phase a pipeline passes through names
 * running pipelines only.
 */
export function listQuery(opts: { phase?: string; provider?: string; job?: string }): string {
  const quote = (v: string) => `'${v.replace(/'/g, '')}'`;
  const clauses = [`WorkflowType = 'fineTuneToDeploy'`];
  if (opts.phase) clauses.push(`FtpPhase = ${quote(opts.phase)}`);
  if (opts.provider) clauses.push(`FtpProvider = ${quote(opts.provider)}`);
  if (opts.job) clauses.push(`FtpJobId = ${quote(opts.job)}`);
  if (opts.phase && !ENDED_PHASES.includes(opts.phase)) clauses.push(`ExecutionStatus = 'Running'`);
  return clauses.join(' AND ');
}
