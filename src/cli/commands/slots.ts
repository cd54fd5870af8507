import { Argument, InvalidArgumentError, type Command } from 'commander';
import type { SlotState } from '../../decisions/serving-slot';
import { deploymentShortId as shortId, rollbackLine } from '../answer-lines';
import { pipelineInput, textFlag } from '../flags';
import { out } from '../io';
import { NotFound } from '../exit-codes';
import { withClient } from '../with-client';

/** A pipeline name as the pipeline file takes it (the slot is named after it). */
function slotName(): Argument {
  return new Argument('<name>', 'the pipeline name (the `name` field of its file)').argParser(
    (value: string) => {
      if (!pipelineInput().PIPELINE_NAME.test(value))
        throw new InvalidArgumentError(
          'must be a pipeline name: 1-63 lower-case letters, digits or dashes (the `name` field, not the workflow id).',
        );
      return value;
    },
  );
}

const time = (iso?: string) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');

/** One line per slot: what serves, since when, from what; what drains and until when. */
export function slotTable(slots: SlotState[]): string {
  if (slots.length === 0)
    return 'no serving slots yet: a pipeline creates its slot when it promotes its first deployment';
  const rows = slots.map((s) => [
    s.name,
    shortId(s.champion),
    time(s.champion?.since),
    s.champion ? `${s.champion.checkpointId} (job ${s.champion.jobId})` : '-',
    s.champion ? s.champion.workflowId : '-',
    s.draining.length ? s.draining.map((d) => `${d.deploymentId} until ${time(d.retireAt)}`).join(', ') : '-',
  ]);
  const header = ['NAME', 'SERVING', 'SINCE (UTC)', 'CHECKPOINT', 'PIPELINE', 'ROLLBACK TO (DRAINING)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A slot in full: champion, draining, retired, and its history. */
export function slotDetails(s: SlotState): string {
  const lines = [
    `slot ${s.name}`,
    `  serving:  ${shortId(s.champion)} since ${time(s.champion?.since)} — checkpoint ${s.champion?.checkpointId ?? '-'}, job ${s.champion?.jobId ?? '-'}, run ${s.champion?.workflowId ?? '-'} ${s.champion?.runId ?? ''}`.trimEnd(),
    ...s.draining.map(
      (d) =>
        `  draining: ${shortId(d)} until ${time(d.retireAt)} (starter rollback ${s.name} puts it back until then)`,
    ),
    ...s.retiring.map((d) => `  retiring: ${shortId(d)}`),
    ...s.retired.map(
      (d) => `  retired:  ${shortId(d)} at ${time(d.retiredAt)} (${d.outcome}${d.note ? `: ${d.note}` : ''})`,
    ),
    '  history:',
    ...s.history.map(
      (e) =>
        `    ${time(e.at)}  ${e.kind.padEnd(11)} ${e.deploymentId}${e.by ? ` by ${e.by}` : ''}${e.detail ? ` — ${e.detail}` : ''}`,
    ),
  ];
  return lines.join('\n');
}

/** `starter slots [name]`: what serves each pipeline name, or one slot in full. */
export function addSlotsCommand(program: Command): void {
  program
    .command('slots')
    .description('list what serves each pipeline name (or one slot in full with its history)')
    .addArgument(slotName().argOptional())
    .option('--json', 'print the slot state as JSON')
    .action(async (name: string | undefined, opts: { json?: boolean }) =>
      withClient(async ({ client, taskQueue }) => {
        const { servingSlots } = await import('../../clients/serving-slots');
        const slots = servingSlots(client, taskQueue);
        if (!name) {
          const all = await slots.list();
          return out(opts.json ? all : slotTable(all));
        }
        const state = await slots.read(name);
        if (!state)
          throw new NotFound(`no serving slot ${name}: no pipeline named ${name} has promoted a deployment`);
        out(opts.json ? state : slotDetails(state));
      }),
    );
}

/** `starter rollback <name>`: the former champion serves again while it drains. */
export function addRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description("put a slot's former deployment back while it drains (refused once it is retired)")
    .addArgument(slotName())
    .option('--reason <text>', 'why, kept in the slot history', textFlag('--reason', 500))
    .option('--by <name>', 'who rolls back', textFlag('--by', 100), process.env.USER)
    .option('--json', 'print the answer as JSON')
    .action(async (name: string, opts: { reason?: string; by?: string; json?: boolean }) =>
      withClient(async ({ client, taskQueue }) => {
        const { rollbackSlot } = await import('../operator');
        const answer = await rollbackSlot(client, taskQueue, name, { by: opts.by, reason: opts.reason });
        if (opts.json) return out(answer);
        out(rollbackLine(name, answer));
      }),
    );
}
