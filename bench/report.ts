import { execSync } from 'node:child_process';
import os from 'node:os';

/** The header every benchmark prints: machine, commit, date — figures mean nothing without them. */
export function benchHeader(title: string): string {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (execSync('git status --porcelain', { encoding: 'utf8' }).trim()) commit += '+dirty';
  } catch {
    /* not a checkout */
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return [
    `## ${title}`,
    '',
    `machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`,
    `commit: ${commit}   date: ${new Date().toISOString()}`,
    '',
  ].join('\n');
}

/** A Markdown table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...cells.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `--name` given on the command line. */
export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** The value after `--name`, if given. */
/** `--name`'s value; a `--name` given without one (last, or before another `--option`) is refused (exit 2). */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) {
    process.stderr.write(`--${name} needs a value (--${name} <value>)\n`);
    process.exit(2);
  }
  return value;
}

export const quick = flag('quick');
