/**
 * Guards the overhead and economy figures across commits: checks the given git ref out into a
 * temporary worktree (its own `npm ci`, or this tree's node_modules when package-lock.json is the same),
 * then runs the quick overhead and API-economy benchmarks on that tree and on this one, interleaved in
 * the same run (so both see the same machine load), and prints both rows and their ratios.
 *   npm run bench:compare -- <git ref> [--rounds N] [--same-bench] [--provider-queues]
 * Each tree runs its own benchmark scripts (a column one of them does not print is left out), or with
 * `--same-bench` this tree's bench/*.ts copied over the ref's: the same inputs and the same breakdown on
 * both (for refs whose source layout these scripts fit). `--provider-queues` is passed to the overhead
 * benchmark of both trees (provider activities on their own queues, as the worker process runs them);
 * a ref whose bench/overhead.ts does not know it is refused (add `--same-bench`).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchHeader, flag, option, table } from './report';

const root = path.resolve(__dirname, '..');

interface Tree {
  label: string;
  dir: string;
}

/** A benchmark's first Markdown table: its headers and rows (cells as printed). */
interface Printed {
  headers: string[];
  rows: string[][];
}

/** The benchmarks compared, and the columns of each that say what the issue measures. */
const BENCHMARKS: { script: string; title: string; key: string; columns: RegExp[] }[] = [
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
    ],
  },
  {
    script: 'bench/api-economy.ts',
    title: 'API economy (bench/api-economy.ts --quick)',
    key: '',
    columns: [/^provider calls$/, /^minimum calls$/, /^calls \/ minimum$/, /^events per job-day$/, /^runs$/],
  },
];

function git(args: string[], cwd = root): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/** Flags passed on to a benchmark script besides `--quick`. */
const PASSED_ON: Record<string, string[]> = {
  'bench/overhead.ts': flag('provider-queues') ? ['--provider-queues'] : [],
};

/** Runs `npx tsx <script> --quick` in a tree; its first Markdown table. */
function runBenchmark(tree: Tree, script: string): Promise<Printed> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', script, '--quick', ...(PASSED_ON[script] ?? [])], {
      cwd: tree.dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const printed = firstTable(out);
      if (code !== 0 || !printed) reject(new Error(`${script} in ${tree.label} ended with ${code}:\n${out}`));
      else resolve(printed);
    });
  });
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

function compareTable(
  bench: (typeof BENCHMARKS)[number],
  base: Tree,
  head: Tree,
  results: Map<string, Printed[]>,
): string {
  const baseRuns = results.get(`${base.label}\t${bench.script}`)!;
  const headRuns = results.get(`${head.label}\t${bench.script}`)!;
  // The first column names the row (older trees call it 'dev server', newer ones 'server').
  const keyOf = (_p: Printed) => (bench.key ? 0 : -1);
  const rowKeys = bench.key
    ? [...new Set(headRuns.flatMap((p) => p.rows.map((r) => r[keyOf(p)])))]
    : ['(one row)'];
  const headerOf = (column: RegExp) =>
    [...headRuns, ...baseRuns].flatMap((p) => p.headers).find((h) => column.test(h)) ?? String(column);
  const rows: (string | number)[][] = [];
  for (const rowKey of rowKeys) {
    const line = (tree: Tree, runs: Printed[]) => [
      tree.label,
      ...(bench.key ? [rowKey] : []),
      ...bench.columns.map((c) => figure(runs, rowKey, keyOf(runs[0]), c) ?? '—'),
    ];
    const b = line(base, baseRuns);
    const h = line(head, headRuns);
    const offset = bench.key ? 2 : 1;
    const ratio = h.map((v, i) =>
      i < offset
        ? i === 0
          ? 'ratio (this tree / ref)'
          : v
        : typeof v === 'number' && typeof b[i] === 'number' && b[i] !== 0
          ? v / (b[i] as number)
          : '—',
    );
    rows.push(b, h, ratio);
  }
  return (
    `### ${bench.title}\n\n` +
    table(['tree', ...(bench.key ? [bench.key] : []), ...bench.columns.map(headerOf)], rows)
  );
}

async function main(): Promise<void> {
  const ref = process.argv.slice(2).find((a) => !a.startsWith('--') && a !== option('rounds'));
  if (!ref) {
    process.stderr.write('usage: npm run bench:compare -- <git ref> [--rounds N] [--same-bench]\n');
    process.exit(2);
  }
  const rounds = Number(option('rounds') ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write('--rounds must be a whole number of at least 1\n');
    process.exit(2);
  }
  let sha: string;
  try {
    sha = git(['rev-parse', '--short', `${ref}^{commit}`]);
  } catch {
    process.stderr.write(`ref: ${ref} is not a commit of this repository\n`);
    process.exit(2);
  }
  let headLabel = git(['rev-parse', '--short', 'HEAD']);
  if (git(['status', '--porcelain'])) headLabel += '+dirty';
  const base: Tree = {
    label: ref === sha ? sha : `${ref} (${sha})`,
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-')),
  };
  const head: Tree = { label: `this tree (${headLabel})`, dir: root };
  const loads = [`start ${loadAverage()}`];
  git(['worktree', 'add', '--detach', base.dir, sha]);
  try {
    const sameLock =
      git(['show', `${sha}:package-lock.json`]) ===
      fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8').trim();
    if (flag('same-bench'))
      for (const file of fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')))
        fs.copyFileSync(path.join(root, 'bench', file), path.join(base.dir, 'bench', file));
    // A script ignores a flag it does not know: the ref would run the default shape and look comparable.
    for (const [script, passed] of Object.entries(PASSED_ON)) {
      const source = fs.readFileSync(path.join(base.dir, script), 'utf8');
      const unknown = passed.filter((f) => !source.includes(`'${f.slice(2)}'`));
      if (unknown.length) {
        process.stderr.write(`${script} at ${sha} does not know ${unknown.join(', ')}: add --same-bench\n`);
        process.exitCode = 2;
        return;
      }
    }
    if (sameLock) fs.symlinkSync(path.join(root, 'node_modules'), path.join(base.dir, 'node_modules'), 'dir');
    else {
      process.stderr.write(`package-lock.json differs at ${sha}: npm ci in ${base.dir}\n`);
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: base.dir, stdio: ['ignore', 2, 2] });
    }
    // Interleaved: ref, this tree, ref, this tree... so a change of machine load reaches both.
    const results = new Map<string, Printed[]>();
    for (let r = 0; r < rounds; r++) {
      for (const bench of BENCHMARKS) {
        for (const tree of [base, head]) {
          process.stderr.write(`round ${r + 1}/${rounds}: ${bench.script} on ${tree.label}\n`);
          const key = `${tree.label}\t${bench.script}`;
          results.set(key, [...(results.get(key) ?? []), await runBenchmark(tree, bench.script)]);
        }
      }
      loads.push(`after round ${r + 1} ${loadAverage()}`);
    }
    process.stdout.write(
      `${benchHeader(`Compared with ${base.label}: quick overhead and economy, interleaved, ${rounds} round(s)`)}\n` +
        `benchmark scripts: ${flag('same-bench') ? "this tree's on both trees" : "each tree's own"}\n` +
        (flag('provider-queues')
          ? 'overhead: provider activities on their own task queues (--provider-queues)\n'
          : '') +
        `load average (1, 5, 15 min): ${loads.join('; ')}\n\n` +
        BENCHMARKS.map((b) => compareTable(b, base, head, results)).join('\n\n') +
        '\n',
    );
  } finally {
    git(['worktree', 'remove', '--force', base.dir]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
