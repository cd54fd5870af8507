import type { Command } from 'commander';

/**
 * A flag given together with its `--no-` form (`--dry-run --no-dry-run`): commander would quietly take
 * the last one, so an operator who meant the other is refused instead, before anything runs.
 * `negatable`: the command's `--no-…` flags; `tokens`: the command line as typed.
 */
export function contradictoryFlags(tokens: string[], negatable: string[]): string | undefined {
  const given = tokens.slice(0, tokens.includes('--') ? tokens.indexOf('--') : undefined);
  const has = (flag: string) => given.some((t) => t === flag || t.startsWith(`${flag}=`));
  for (const negated of negatable) {
    const positive = `--${negated.slice('--no-'.length)}`;
    if (has(negated) && has(positive))
      return `${positive} and ${negated} contradict each other: give one of them`;
  }
  return undefined;
}

/** Refuses (exit 2, as a usage error) a command given a flag and its `--no-` form. */
export function refuseContradictoryFlags(program: Command): void {
  program.hook('preAction', (root, action) => {
    const negatable = action.options.filter((o) => o.negate && o.long).map((o) => o.long!);
    const tokens = (root as Command & { rawArgs?: string[] }).rawArgs ?? [];
    const contradiction = contradictoryFlags(tokens.slice(2), negatable);
    if (contradiction)
      action.error(`error: ${contradiction}`, { exitCode: 2, code: 'starter.contradictoryFlags' });
  });
}
