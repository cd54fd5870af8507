import type { Command } from 'commander';
import { buildProgram, main } from '../../src/starter';

/**
 * A subcommand's flag that its parent command also has (`starter budget --json` and `starter budget
 * set --json`) must reach the subcommand: commander by default lets the parent take it wherever it
 * is typed, and `budget set --json` then printed text where a script expected JSON.
 */
describe('a flag a subcommand shares with its parent reaches the subcommand', () => {
  /** Every [path of command names, command] under the program. */
  const commands = (cmd: Command, path: string[] = []): [string[], Command][] =>
    cmd.commands.flatMap((sub) => [
      [[...path, sub.name()], sub] as [string[], Command],
      ...commands(sub, [...path, sub.name()]),
    ]);
  const longFlags = (cmd: Command) =>
    cmd.options.filter((o) => o.long && !o.negate && !o.required).map((o) => o.long!);

  const program = buildProgram();
  const shared = commands(program).flatMap(([path, parent]) =>
    parent.commands.flatMap((sub) =>
      longFlags(sub)
        .filter((flag) => longFlags(parent).includes(flag))
        .map((flag) => [[...path, sub.name()].join(' '), flag] as const),
    ),
  );

  it('the program has such flags (budget set/unset --json)', () => {
    expect(shared).toEqual(
      expect.arrayContaining([
        ['budget set', '--json'],
        ['budget unset', '--json'],
      ]),
    );
  });

  it.each(shared)('starter %s %s', async (path, flag) => {
    const parsed = buildProgram();
    const seen = new Map<Command, Record<string, unknown>>();
    // Every command records the options it was given instead of running.
    for (const [, cmd] of commands(parsed))
      cmd.action(function (this: Command) {
        seen.set(this, this.opts());
      });
    const names = path.split(' ');
    await parsed.parseAsync(['node', 'starter', ...names, flag]);
    const sub = commands(parsed).find(([p]) => p.join(' ') === path)![1];
    const key = sub.options.find((o) => o.long === flag)!.attributeName();
    expect(seen.get(sub)?.[key]).toBe(true);
  });
});

describe('a mistyped subcommand of a command that also runs on its own', () => {
  it('starter budget sett: unknown command, did you mean set (exit 2), as starter schedule reconcil says', async () => {
    const written: string[] = [];
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      expect(await main(['node', 'starter', 'budget', 'sett'])).toBe(2);
      expect(await main(['node', 'starter', 'schedule', 'reconcil'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    const [budget, schedule] = written.join('').split('(run with --help for usage)\n');
    expect(budget).toBe("error: unknown command 'sett'\n(Did you mean set?)\n");
    expect(schedule).toBe("error: unknown command 'reconcil'\n(Did you mean reconcile?)\n");
  });
});

describe('with --json, a refused command line is one JSON line too (docs/cli.md, "Errors are one line")', () => {
  it.each([
    [['budget', 'set', '--per-day', '-5', '--json'], /--per-day <amount>' argument '-5' is invalid/],
    [['budget', 'set', '--json'], /^give the budget with --per-day <amount> or --per-month <amount>$/],
    [['reconcile', '--grace', '0s', '--json'], /--grace <duration>' argument '0s' is invalid/],
    [['list', '--phase', 'waiting', '--json'], /--phase <phase>' argument 'waiting' is invalid/],
    [['status', '--json'], /missing required argument 'workflowId'/],
    [['budget', 'sett', '--json'], /^unknown command 'sett'\n\(Did you mean set\?\)$/],
  ])('starter %j', async (args, message) => {
    const written: string[] = [];
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => (written.push(String(chunk)), true));
    let code: number;
    try {
      code = await main(['node', 'starter', ...args]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(2);
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const error = (JSON.parse(lines[0]) as { error: { kind: string; exitCode: number; message: string } })
      .error;
    expect(error).toMatchObject({ kind: 'refused', exitCode: 2 });
    expect(error.message).toMatch(message);
  });
});
