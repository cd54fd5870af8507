import type { Argument, Command, Option } from 'commander';
import { buildProgram } from '../../src/starter';

/**
 * The CLI reference, walked from the commander program the `starter` binary runs: every command, its
 * arguments and options with their descriptions, defaults and choices, so the page cannot drift.
 */

const code = (text: string) => `\`${text}\``;
/** A table cell: one line, pipes escaped. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

/** The program with defaults taken from the environment shown as the variable, not this machine's value. */
export function documentedProgram(): Command {
  const saved = process.env.USER;
  process.env.USER = '$USER';
  try {
    return buildProgram();
  } finally {
    if (saved === undefined) delete process.env.USER;
    else process.env.USER = saved;
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The anchor GitHub gives a heading that is the command path in code. */
const anchor = (path: string) =>
  path
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

function usage(cmd: Command): string {
  const args = cmd.registeredArguments.map((a: Argument) => {
    const name = a.name() + (a.variadic ? '...' : '');
    return a.required ? `<${name}>` : `[${name}]`;
  });
  const options = cmd.options.length ? ['[options]'] : [];
  // A command that runs on its own too (`starter budget`) takes its subcommand optionally, as --help shows.
  const runsAlone = typeof (cmd as unknown as { _actionHandler?: unknown })._actionHandler === 'function';
  const sub = cmd.commands.length ? [runsAlone ? '[command]' : '<command>'] : [];
  return [commandPath(cmd), ...options, ...sub, ...args].join(' ');
}

function defaultText(value: unknown): string {
  if (value === undefined || value === false) return '';
  return code(typeof value === 'string' ? value : JSON.stringify(value));
}

function optionRow(o: Option): string {
  const choices = o.argChoices ? `one of ${o.argChoices.map(code).join(', ')}` : '';
  const description = [o.description, choices].filter(Boolean).join('; ');
  // `--no-x` defaults to true: the default is the behaviour without the flag, not worth a column value.
  const fallback = o.negate ? '' : defaultText(o.defaultValue);
  return `| ${[code(o.flags), description, fallback].map(cell).join(' | ')} |`;
}

function section(cmd: Command, level: number): string[] {
  const lines = [`${'#'.repeat(level)} \`${commandPath(cmd)}\``, ''];
  if (cmd.description()) lines.push(cmd.description(), '');
  lines.push('```text', usage(cmd), '```', '');
  if (cmd.registeredArguments.length) {
    lines.push('| argument | description |', '| --- | --- |');
    for (const a of cmd.registeredArguments)
      lines.push(
        `| ${[code(a.name()), a.description || (a.required ? 'required' : 'optional')].map(cell).join(' | ')} |`,
      );
    lines.push('');
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length) {
    lines.push('| option | description | default |', '| --- | --- | --- |', ...options.map(optionRow), '');
  }
  if (cmd.commands.length && !cmd.options.length && !cmd.registeredArguments.length) {
    lines.push(`Subcommands: ${cmd.commands.map((c) => code(c.name())).join(', ')}.`, '');
  }
  return lines;
}

function walk(cmd: Command, level: number, lines: string[]): void {
  for (const child of cmd.commands) {
    lines.push(...section(child, level));
    walk(child, Math.min(level + 1, 4), lines);
  }
}

/** Every command of `starter`, in the order `starter --help` lists them, subcommands after their parent. */
function renderSections(program: Command): string {
  const lines: string[] = [];
  walk(program, 3, lines);
  return lines.join('\n').trimEnd();
}

/** The command index: one line per command with its description, for the top of the page. */
function renderIndex(program: Command): string {
  const rows: string[] = ['| command | does |', '| --- | --- |'];
  const visit = (cmd: Command) => {
    for (const child of cmd.commands) {
      const link = `[${code(usage(child))}](#${anchor(commandPath(child))})`;
      rows.push(`| ${[link, child.description()].map(cell).join(' | ')} |`);
      visit(child);
    }
  };
  visit(program);
  return rows.join('\n');
}

/** The generated part of docs/cli.md: the index, then a section per command. */
export function renderCliReference(program: Command = documentedProgram()): string {
  return ['### Index', '', renderIndex(program), '', renderSections(program)].join('\n');
}
