#!/usr/bin/env node
/**
 * The operator's CLI: start and follow pipelines, answer approvals, cancel, pin, supervise, clean up,
 * manage the cleanup schedule, list pipelines. `--json` on every read command. Exit codes (EXIT,
 * docs/cli.md): 0 done, 1 the thing asked failed (the cause is printed), 2 refused or invalid input
 * (nothing was started or changed), 3 not found.
 */
import { Command, CommanderError } from 'commander';
import { addBudgetCommand } from './cli/commands/budget';
import { addCancelCommand } from './cli/commands/cancel';
import { addCleanupCommand } from './cli/commands/cleanup';
import { addConsoleCommand } from './cli/commands/console';
import { addDecisionCommands } from './cli/commands/decide';
import { addListCommand } from './cli/commands/list';
import { addPinCommand } from './cli/commands/pin';
import { addReconcileCommand } from './cli/commands/reconcile';
import { addReportCommand } from './cli/commands/report';
import { addRunCommand } from './cli/commands/run';
import { addScheduleCommand } from './cli/commands/schedule';
import { addStatusCommand } from './cli/commands/status';
import { addRollbackCommand, addSlotsCommand } from './cli/commands/slots';
import { addSuperviseCommand } from './cli/commands/supervise';
import { addUnpinCommand } from './cli/commands/unpin';
import { addValidateCommand } from './cli/commands/validate';
import { addWatchCommand } from './cli/commands/watch';
import { refuseContradictoryFlags } from './cli/contradictory-flags';
import { EXIT } from './cli/exit-codes';
import { err } from './cli/io';

/*
 * Only commander and the commands' definitions load at start: each command loads the Temporal client,
 * the workflow definitions and the rest when it runs, so `--help` and usage errors answer at once.
 */

/** The program: every command from src/cli/commands/, in the order `--help` lists them. */
export function buildProgram(): Command {
  const program = new Command('starter')
    .description('Start, watch and steer fine-tune → deploy pipelines on Temporal.')
    .showHelpAfterError('(run with --help for usage)')
    // Before any command is added: subcommands inherit it, so their usage errors reach main() (exit 2).
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ starter validate examples/pipeline.yaml       check a file: what it would request, starting nothing
  $ starter run examples/pipeline.yaml            start (or attach to) a pipeline and follow it
  $ starter status pipeline-support-bot --json    machine-readable status
  $ starter approve pipeline-support-bot --reason "eval looks good"
  $ starter cleanup --job job_123 --keep 3 --dry-run
  $ starter schedule cleanup create --every 1d --keep 5 --status completed
  $ starter list --phase awaiting-approval
  $ starter slots                                 what serves each pipeline name
  $ starter rollback support-bot --reason "p95"   the former deployment serves again while it drains

Connection (as the temporal CLI reads it): a profile in ~/.config/temporalio/temporal.toml
(TEMPORAL_PROFILE), overridden by TEMPORAL_ADDRESS (default 127.0.0.1:7233), TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY or TEMPORAL_TLS_CLIENT_CERT_PATH/TEMPORAL_TLS_CLIENT_KEY_PATH; TEMPORAL_TASK_QUEUE.`,
    );

  for (const add of [
    addValidateCommand,
    addRunCommand,
    addStatusCommand,
    addWatchCommand,
    addDecisionCommands,
    addCancelCommand,
    addPinCommand,
    addUnpinCommand,
    addSuperviseCommand,
    addCleanupCommand,
    addReconcileCommand,
    addBudgetCommand,
    addScheduleCommand,
    addReportCommand,
    addListCommand,
    addSlotsCommand,
    addRollbackCommand,
    addConsoleCommand,
  ])
    add(program);
  subcommandRules(program);
  refuseContradictoryFlags(program);
  return program;
}

/**
 * A command with subcommands takes its own flags only before the subcommand's name: commander would
 * otherwise take a flag both have (`starter budget set --json`) for the parent, wherever it is typed,
 * and the subcommand would run without it. One that also runs on its own (`starter budget`) says a
 * mistyped subcommand is unknown, as the others do, not "too many arguments".
 */
function subcommandRules(command: Command): void {
  if (command.commands.length > 0) {
    command.enablePositionalOptions();
    if (command.registeredArguments.length === 0)
      command.allowExcessArguments().hook('preAction', (_, action) => {
        // commander's own refusal of a command without an action: "unknown command …(Did you mean …?)"
        if (action === command && command.args.length > 0)
          (command as unknown as { unknownCommand(): never }).unknownCommand();
      });
  }
  for (const sub of command.commands) subcommandRules(sub);
}

/** Commander's own error lines (and its "run with --help" after them) left unwritten: main() writes one. */
function quietErrors(command: Command): void {
  command.configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  for (const sub of command.commands) quietErrors(sub);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // With --json a refused command line is one JSON line, as every other failure is (failure-report.ts).
  const json = argv.includes('--json');
  if (json) quietErrors(program);
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return EXIT.done;
      const message = e.message.replace(/^error: /, '');
      if (json) err(JSON.stringify({ error: { kind: 'refused', exitCode: EXIT.refused, message } }));
      return EXIT.refused;
    }
    const { reportFailure } = await import('./cli/failure-report');
    return reportFailure(e, argv, err);
  }
}

if (require.main === module) {
  main(process.argv).then((code) => process.exit(code));
}
