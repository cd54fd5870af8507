import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  BY_MAX,
  ASKS_AGAIN_EVERY_MS,
  DAY_MS,
  MONTH_MS,
  emptyLedger,
  limitBelowUseWarning,
  limitRefusal,
  money,
  unsetRefusal,
  WAITER_SILENT_AFTER_MS,
  windowWords,
} from '../../decisions/fleet-budget';
import { parseDuration } from '../../domain/duration';
import { textFlag } from '../flags';
import type { FleetBudgetState } from '../../workflows/fleet-budget/contract';
import { err, out } from '../io';
import { withClient } from '../with-client';

/** `starter budget`: what the task queue's training jobs may spend in a window, and who holds what. */
export function addBudgetCommand(program: Command): void {
  const budget = program
    .command('budget')
    .description('the fleet budget of this task queue: spent, reserved and left, and who holds what')
    .option('--json', 'print the ledger and figures as JSON')
    .action(async (opts: { json?: boolean }) =>
      withClient(async ({ client, taskQueue }) => {
        const { fleetBudgets } = await import('../../clients/fleet-budget');
        const { endedRuns } = await import('../fleet-overrun');
        const budgets = fleetBudgets(client, taskQueue);
        const state = await budgets.state();
        const ended = await endedRuns(client, state);
        const run = await client.workflow
          .getHandle(budgets.workflowId)
          .describe()
          .then(
            (d) => d.status.name,
            () => undefined,
          );
        // Continued as new: its next run answers; anything else that is not running has ended for good.
        const closed = run && run !== 'RUNNING' && run !== 'CONTINUED_AS_NEW' ? run : undefined;
        if (opts.json)
          return out({
            taskQueue,
            ...(state ?? { ledger: undefined }),
            endedRuns: Object.fromEntries(ended),
            ...(closed ? { workflowStatus: closed } : {}),
          });
        for (const line of budgetLines(taskQueue, state, ended, closed)) out(line);
      }),
    );
  budget
    .command('set')
    .description(
      'set (or change) the most the fleet’s training jobs may cost per day (or --window), or per 30 days (--per-month)',
    )
    .addOption(
      new Option('--per-day <amount>', 'the budget per window, in the providers’ currency').argParser(
        amountFlag('--per-day'),
      ),
    )
    .addOption(
      new Option(
        '--per-month <amount>',
        'the budget per 30-day window (not a calendar month), in the providers’ currency',
      )
        .argParser(amountFlag('--per-month'))
        .conflicts(['perDay', 'window']),
    )
    .option('--window <duration>', 'the window --per-day is for (default 1d)', windowFlag)
    .option('--by <name>', 'who sets it, for the record', textFlag('--by', BY_MAX))
    .option('--json', 'print the ledger and figures as JSON')
    .action(
      async (
        opts: { perDay?: number; perMonth?: number; window?: number; by?: string; json?: boolean },
        command: Command,
      ) => {
        const asked = budgetAsked(opts);
        // Refused (exit 2) before connecting.
        if (typeof asked === 'string') return command.error(`error: ${asked}`, { exitCode: 2 });
        const { amount, windowMs } = asked;
        return withClient(async ({ client, taskQueue }) => {
          // Loaded when the command runs: `starter --help` loads no Temporal SDK.
          const { fleetBudgets } = await import('../../clients/fleet-budget');
          const { WorkflowUpdateFailedError } = await import('@temporalio/client');
          const { OperatorRefusal } = await import('../operator');
          const { requireWorker } = await import('../workers');
          await requireWorker(client, taskQueue, 'set the fleet budget');
          const state = await fleetBudgets(client, taskQueue)
            .set({ amount, windowMs, ...(opts.by ? { by: opts.by } : {}) })
            .catch((e: unknown) => {
              if (e instanceof WorkflowUpdateFailedError)
                throw new OperatorRefusal(e.cause?.message ?? e.message);
              throw e;
            });
          // Still set: the operator may mean to hold the fleet until the window rolls.
          const warning = limitBelowUseWarning(state.usage);
          if (warning) {
            err(warning);
            const { heldWithCosts, overrunLine } = await import('../fleet-overrun');
            const stop = overrunLine(state, await heldWithCosts(client, state));
            if (stop) err(stop);
          }
          const { endedRuns } = await import('../fleet-overrun');
          const ended = await endedRuns(client, state);
          if (opts.json) return out({ taskQueue, ...state, endedRuns: Object.fromEntries(ended) });
          for (const line of budgetLines(taskQueue, state, ended)) out(line);
        });
      },
    );
  budget
    .command('unset')
    .description('remove the fleet budget: pipelines are held to none and those in line go on')
    .option('--json', 'print the ledger as JSON')
    .action(async (opts: { json?: boolean }) =>
      withClient(async ({ client, taskQueue }) => {
        const { fleetBudgets } = await import('../../clients/fleet-budget');
        const { WorkflowUpdateFailedError } = await import('@temporalio/client');
        const { OperatorRefusal } = await import('../operator');
        const { requireWorker } = await import('../workers');
        await requireWorker(client, taskQueue, 'unset the fleet budget');
        const state = await fleetBudgets(client, taskQueue)
          .unset()
          .catch((e: unknown) => {
            if (e instanceof WorkflowUpdateFailedError)
              throw new OperatorRefusal(e.cause?.message ?? e.message);
            throw e;
          });
        // Never set: nothing was started, nothing to unset.
        if (!state) throw new OperatorRefusal(unsetRefusal(emptyLedger(), taskQueue));
        if (opts.json) return out({ taskQueue, ...state });
        out(`fleet budget of ${taskQueue} unset: its pipelines are held to none`);
        const held = state.ledger.reservations.filter((r) => r.spent === undefined);
        if (held.length > 0)
          out(
            `  ${held.length} reservation${held.length === 1 ? '' : 's'} still held (${money(held.reduce((sum, r) => sum + r.amount, 0))}): settled as their jobs end, and counted again by a budget set later`,
          );
      }),
    );
}

/** An amount flag's parser: a refusal (exit 2) names the flag, before anything connects. */
function amountFlag(flag: '--per-day' | '--per-month'): (value: string) => number {
  return (value) => {
    const n = /^(\d+(\.\d*)?|\.\d+)$/.test(value.trim()) ? Number(value) : NaN;
    const refusal = limitRefusal(n, DAY_MS, flag);
    if (refusal) throw new InvalidArgumentError(`must be an amount above 0 such as 500.`);
    return n;
  };
}

/** The limit and window asked for: `--per-day` (with `--window`) or `--per-month`; one of them is needed. */
function budgetAsked(opts: {
  perDay?: number;
  perMonth?: number;
  window?: number;
}): { amount: number; windowMs: number } | string {
  if (opts.perMonth !== undefined) return { amount: opts.perMonth, windowMs: MONTH_MS };
  if (opts.perDay !== undefined) return { amount: opts.perDay, windowMs: opts.window ?? DAY_MS };
  return 'give the budget with --per-day <amount> or --per-month <amount>';
}

function windowFlag(value: string): number {
  const ms = parseDuration(value.trim());
  const refusal = ms === undefined ? 'not a duration' : limitRefusal(1, ms);
  if (refusal) throw new InvalidArgumentError('must be a duration from 1s to 3650d such as "1d" or "12h".');
  return ms!;
}

/**
 * The budget for a person: the limit, this window's figures, then each reservation and each run in line.
 * `ended`: the runs (`workflowId/runId`) known to have ended, with their status: one terminated keeps
 * its reservation or its place in line, which the ledger cannot know. `closed`: the budget's own
 * workflow is not running (terminated): its figures are its last run's.
 */
export function budgetLines(
  taskQueue: string,
  state: FleetBudgetState | undefined,
  ended: ReadonlyMap<string, string> = new Map(),
  closed?: string,
): string[] {
  const ledger = state?.ledger;
  if (!ledger || (!ledger.limit && !ledger.lost))
    return [
      `no fleet budget is set for task queue ${taskQueue}: its pipelines are held to none (\`starter budget set --per-day 500\`)`,
    ];
  const lines: string[] = [];
  if (closed)
    lines.push(
      `the fleet budget's workflow is not running (${closed}): these are its last figures; the next reservation, settlement or \`starter budget set\` starts it again from them`,
    );
  if (ledger.lost)
    lines.push(
      `the fleet budget's record was lost (${ledger.lost.reason}): nothing starts until \`starter budget set\``,
    );
  if (state.rebuilding)
    lines.push(
      `reading the run before (${state.rebuilding.predecessorRunId ?? 'none named'}): nothing is admitted until it has`,
    );
  const limit = ledger.limit;
  const usage = state.usage;
  if (limit)
    lines.push(
      `fleet budget of ${taskQueue}: ${money(limit.amount)} ${windowWords(limit.windowMs)} (set ${limit.setAt}${limit.by ? ` by ${limit.by}` : ''})`,
    );
  if (usage)
    lines.push(
      `  ${new Date(usage.windowStartMs).toISOString()} → ${new Date(usage.windowEndMs).toISOString()}: spent ${money(usage.spent)}, reserved ${money(usage.reserved)}, left ${money(usage.left)}; ${usage.waiting} waiting`,
    );
  const current = ledger.reservations.filter(
    (r) => !usage || r.windowStartMs === usage.windowStartMs || r.spent === undefined,
  );
  const rolls = usage ? ` the window rolls at ${new Date(usage.windowEndMs).toISOString()}` : '';
  const endedAs = (h: { workflowId: string; runId: string }) => ended.get(`${h.workflowId}/${h.runId}`);
  for (const r of current) {
    const end = r.spent === undefined ? endedAs(r) : undefined;
    lines.push(
      `  ${r.spent === undefined ? `holds    ${money(r.amount)}` : `spent    ${money(r.spent)} of ${money(r.amount)}`}  ${r.workflowId} (run ${r.runId}, since ${r.at}${r.spent === undefined && r.reported !== undefined ? `; cost so far ${money(r.reported)}` : ''})${r.stopped ? `; stopped by the fleet budget at ${r.stopped.at}` : ''}${end ? `; its run ended (${end}) without settling: it counts until${rolls || ' it is settled'}` : ''}`,
    );
  }
  ledger.waiters.forEach((w, i) => {
    const end = endedAs(w);
    const behind = ledger.waiters.length - i - 1;
    lines.push(
      `  waiting  ${money(w.amount)}  ${w.workflowId} (run ${w.runId}, since ${w.since})${end ? `; its run ended (${end}) in line: it holds the line (${behind} behind it) until it leaves it, silent since ${w.askedAt ?? w.since}, at the budget's first change from ${new Date(Date.parse(w.askedAt ?? w.since) + WAITER_SILENT_AFTER_MS).toISOString()} (a waiter behind it asks every ${ASKS_AGAIN_EVERY_MS / 60_000} minutes)` : ''}`,
    );
  });
  return lines;
}
