/**
 * The pure half of bench/compare.ts: its command line, reading a benchmark's printed table, and the
 * comparison tables built from the rounds of each tree. Nothing here runs a benchmark or touches git.
 */
import { table } from './report';

/** A benchmark's first Markdown table: its headers and rows (cells as printed). */
export interface Printed {
  headers: string[];
  rows: string[][];
}

export interface Benchmark {
  script: string;
  title: string;
  /** The header of the column naming a row ('' for a benchmark that prints one row). */
  key: string;
  columns: RegExp[];
}

/** The benchmarks compared, and the columns of each that say what the issue measures. */
export const BENCHMARKS: Benchmark[] = [
  {
    script: 'bench/overhead.ts',
    title: 'Overhead (bench/overhead.ts --quick)',
    key: 'server',
    columns: [
      /^Temporal p50 ms \(wall\)$/,
      /^(durable timer wait|deliberate waits p50) ms$/,
      /^Temporal p50 ms \(excl\./,
      /^script p50 ms$/,
      /^overhead per step ms/,
      /^serial floor per step ms$/,
      /^overhead \/ floor$/,
    ],
  },
  {
    script: 'bench/api-economy.ts',
    title: 'API economy (bench/api-economy.ts --quick)',
    key: '',
    columns: [/^provider calls$/, /^minimum calls$/, /^calls \/ minimum$/, /^events per job-day$/, /^runs$/],
  },
];

export interface CompareArgs {
  /** The refs as given, in order: each gets its own worktree, row and ratio row. */
  refs: string[];
  rounds: number;
  sameBench: boolean;
  providerQueues: boolean;
}

export const USAGE =
  'usage: npm run bench:compare -- <git ref> [<git ref>…] [--rounds N] [--same-bench] [--provider-queues]';

/**
 * The command line (the arguments after the script's name). A ref is any argument that is not an
 * option nor `--rounds`'s value, so `--rounds 3` never makes a ref of `3`; an option this script does
 * not know is refused rather than ignored (its value would otherwise be taken for a ref).
 */
export function parseCompareArgs(args: string[]): CompareArgs | { error: string } {
  const refs: string[] = [];
  let rounds: string | undefined;
  let sameBench = false;
  let providerQueues = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--rounds') {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--'))
        return { error: '--rounds needs a value (--rounds <N>)' };
      if (rounds !== undefined) return { error: `--rounds is given twice (${rounds} and ${value})` };
      rounds = value;
      i++;
    } else if (a === '--same-bench') sameBench = true;
    else if (a === '--provider-queues') providerQueues = true;
    else if (a.startsWith('-')) return { error: `unknown option ${a}\n${USAGE}` };
    else if (refs.includes(a)) return { error: `ref ${a} is given twice` };
    else refs.push(a);
  }
  if (!refs.length) return { error: USAGE };
  const n = Number(rounds ?? 1);
  if (!Number.isInteger(n) || n < 1)
    return { error: `--rounds must be a whole number of at least 1 (got ${rounds})` };
  return { refs, rounds: n, sameBench, providerQueues };
}

export function firstTable(text: string): Printed | undefined {
  const lines = text.split('\n');
  const cells = (l: string) =>
    l
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((c) => c.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('|') || !/^\|\s*---/.test(lines[i + 1])) continue;
    const rows: string[][] = [];
    for (let j = i + 2; j < lines.length && lines[j].startsWith('|'); j++) rows.push(cells(lines[j]));
    return { headers: cells(lines[i]), rows };
  }
  return undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A tree's figure: the median over rounds of one column of the row named `rowKey`. */
function figure(rounds: Printed[], rowKey: string, keyColumn: number, column: RegExp): number | undefined {
  const values = rounds.flatMap((p) => {
    const c = p.headers.findIndex((h) => column.test(h));
    const row = keyColumn < 0 ? p.rows[0] : p.rows.find((r) => r[keyColumn] === rowKey);
    const v = c >= 0 && row ? Number(row[c].replace(/,/g, '')) : NaN;
    return Number.isFinite(v) ? [v] : [];
  });
  return values.length ? median(values) : undefined;
}

/** One tree's rounds of one benchmark. `ref` is the ref as given (absent for this tree). */
export interface TreeRuns {
  label: string;
  ref?: string;
  runs: Printed[];
}

/**
 * One benchmark's table: for each of this tree's rows (by its first column), a row per ref in the order
 * given, this tree's row, then a ratio row "this tree / <ref>" per ref. With one ref its ratio row keeps
 * the label 'ratio (this tree / ref)', so a one-ref comparison prints what it always has.
 */
export function compareTable(bench: Benchmark, refs: TreeRuns[], head: TreeRuns): string {
  // The first column names the row (older trees call it 'dev server', newer ones 'server').
  const keyColumn = bench.key ? 0 : -1;
  const rowKeys = bench.key
    ? [...new Set(head.runs.flatMap((p) => p.rows.map((r) => r[keyColumn])))]
    : ['(one row)'];
  const printed = [head, ...refs].flatMap((t) => t.runs.flatMap((p) => p.headers));
  const headerOf = (column: RegExp) => printed.find((h) => column.test(h)) ?? String(column);
  // A column no tree's benchmark prints (older scripts, before it existed) is left out.
  const columns = bench.columns.filter((c) => printed.some((h) => c.test(h)));
  const ratioLabel = (ref: TreeRuns) =>
    refs.length === 1 ? 'ratio (this tree / ref)' : `ratio (this tree / ${ref.ref ?? ref.label})`;
  const rows: (string | number)[][] = [];
  for (const rowKey of rowKeys) {
    const line = (tree: TreeRuns) => [
      tree.label,
      ...(bench.key ? [rowKey] : []),
      ...columns.map((c) => figure(tree.runs, rowKey, keyColumn, c) ?? '—'),
    ];
    const refLines = refs.map(line);
    const h = line(head);
    const offset = bench.key ? 2 : 1;
    const ratios = refLines.map((b, r) =>
      h.map((v, i) =>
        i < offset
          ? i === 0
            ? ratioLabel(refs[r])
            : v
          : typeof v === 'number' && typeof b[i] === 'number' && b[i] !== 0
            ? v / (b[i] as number)
            : '—',
      ),
    );
    rows.push(...refLines, h, ...ratios);
  }
  return (
    `### ${bench.title}\n\n` +
    table(['tree', ...(bench.key ? [bench.key] : []), ...columns.map(headerOf)], rows)
  );
}
