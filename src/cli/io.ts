/** What a command prints: results on stdout (JSON for objects), progress and notes on stderr. */
export const out = (value: unknown): void =>
  void process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
export const err = (line: string): void => void process.stderr.write(`${line}\n`);
