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

/**
 * A flag that takes one value given twice with different values (`--per-day 500 … --per-day 5`, an
 * edited line from the shell's history): commander would quietly take the last one. `valued`: the
 * command's flags that take one value; `tokens`: the command line as typed.
 */
export function repeatedFlags(tokens: string[], valued: string[]): string | undefined {
  const given = tokens.slice(0, tokens.includes('--') ? tokens.indexOf('--') : undefined);
  for (const flag of valued) {
    const values: string[] = [];
    given.forEach((t, i) => {
      if (t === flag && i + 1 < given.length) values.push(given[i + 1]!);
      else if (t.startsWith(`${flag}=`)) values.push(t.slice(flag.length + 1));
    });
    const distinct = [...new Set(values)];
    if (distinct.length > 1) return `${flag} given twice (${distinct.join(' and ')}): give it once`;
  }
  return undefined;
}

/** Refuses (exit 2, as a usage error) a command given a flag and its `--no-` form, or one value flag twice. */
export function refuseContradictoryFlags(program: Command): void {
  program.hook('preAction', (root, action) => {
    const negatable = action.options.filter((o) => o.negate && o.long).map((o) => o.long!);
    const tokens = (root as Command & { rawArgs?: string[] }).rawArgs ?? [];
    // Flags that take one value: not a list (`--job a b c`), not a switch.
    const valued = action.options
      .filter((o) => o.long && !o.negate && (o.required || o.optional) && !o.variadic)
      .map((o) => o.long!);
    const contradiction =
      contradictoryFlags(tokens.slice(2), negatable) ?? repeatedFlags(tokens.slice(2), valued);
    if (contradiction)
      action.error(`error: ${contradiction}`, { exitCode: 2, code: 'starter.contradictoryFlags' });
  });
}
