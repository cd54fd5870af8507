/**
 * Guards the overhead and economy figures across commits: checks each given git ref out into its own
 * temporary worktree (its own `npm ci`, or this tree's node_modules when package-lock.json is the same),
 * then runs the quick overhead and API-economy benchmarks on those trees and on this one, interleaved in
 * the same run (per round and benchmark: ref 1, ref 2, …, this tree, so a change of machine load reaches
 * all of them), and prints a row per tree and the ratio of this tree to each ref.
 *   npm run bench:compare -- <git ref> [<git ref>…] [--rounds N] [--same-bench] [--provider-queues]
 * Several refs give one before/after table from one run on one machine (`-- d701c0c c751b08`); with
 * one ref the tables are the ones it has always printed. A ref that is not a commit, a ref given twice
 * (or two naming the same commit) and an unknown option are refused (exit 2) before anything runs.
 * Each tree runs its own benchmark scripts (a column one of them does not print is left out), or with
 * `--same-bench` this tree's bench/*.ts copied over each ref's: the same inputs and the same breakdown on
 * all (for refs whose source layout these scripts fit). `--provider-queues` is passed to the overhead
 * benchmark of every tree (provider activities on their own queues, as the worker process runs them);
 * a ref whose bench/overhead.ts does not know it is refused (add `--same-bench`).
 * The worktrees are removed at the end, also when a benchmark fails or the run is interrupted.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCHMARKS, compareTable, firstTable, parseCompareArgs, type Printed } from './compare-table';
import { benchHeader } from './report';

const root = path.resolve(__dirname, '..');

interface Tree {
  label: string;
  /** The ref as given; absent for this tree. */
  ref?: string;
  sha?: string;
  dir: string;
  /** Its rounds, by benchmark script. */
  runs: Map<string, Printed[]>;
}

function git(args: string[], cwd = root): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** The benchmark running now, stopped with the run when it is interrupted. */
let running: ChildProcess | undefined;

/** Runs `npx tsx <script> --quick` in a tree; its first Markdown table. */
function runBenchmark(tree: Tree, script: string, passedOn: string[]): Promise<Printed> {
  return new Promise((resolve, reject) => {
    // Its own process group, so an interrupted run stops the benchmark's servers with it (npx does not
    // pass a signal on to its children).
    const child = spawn('npx', ['tsx', script, '--quick', ...passedOn], {
      cwd: tree.dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    running = child;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      running = undefined;
      const printed = firstTable(out);
      if (code !== 0 || !printed) reject(new Error(`${script} in ${tree.label} ended with ${code}:\n${out}`));
      else resolve(printed);
    });
  });
}

/** The refs' worktrees added so far: removed at the end, on failure and on SIGINT / SIGTERM. */
const worktrees: string[] = [];

function removeWorktrees(): void {
  for (const dir of worktrees.splice(0)) {
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch (err) {
      process.stderr.write(`could not remove the worktree ${dir}: ${(err as Error).message}\n`);
    }
  }
}

/** Signals the running benchmark's process group, if there is one. */
function signalBenchmark(signal: NodeJS.Signals): void {
  if (running?.pid === undefined) return;
  try {
    process.kill(-running.pid, signal);
  } catch {
    /* the group has ended */
  }
}

// A benchmark's worker catches SIGTERM to shut down in order: it gets the time the worktrees' removal
// takes, then whatever is left of its group is killed, so no server outlives the run.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => {
    process.stderr.write(`${signal}: stopping the benchmark and removing the refs' worktrees\n`);
    signalBenchmark('SIGTERM');
    removeWorktrees();
    signalBenchmark('SIGKILL');
    process.exit(code);
  });

async function main(): Promise<void> {
  const args = parseCompareArgs(process.argv.slice(2));
  if ('error' in args) refuse(args.error);
  const { rounds } = args;
  // Every ref is resolved before anything is checked out: a typo in the second fails at once.
  const refs: Tree[] = [];
  for (const ref of args.refs) {
    let sha: string;
    try {
      sha = git(['rev-parse', '--short', `${ref}^{commit}`]);
    } catch {
      refuse(`ref: ${ref} is not a commit of this repository`);
    }
    const same = refs.find((t) => t.sha === sha);
    if (same) refuse(`ref: ${ref} is the same commit (${sha}) as ${same.ref}, given before it`);
    refs.push({ label: ref === sha ? sha : `${ref} (${sha})`, ref, sha, dir: '', runs: new Map() });
  }
  /** Flags passed on to a benchmark script besides `--quick`. */
  const passedOn: Record<string, string[]> = {
    'bench/overhead.ts': args.providerQueues ? ['--provider-queues'] : [],
  };
  let headLabel = git(['rev-parse', '--short', 'HEAD']);
  if (git(['status', '--porcelain'])) headLabel += '+dirty';
  const head: Tree = { label: `this tree (${headLabel})`, dir: root, runs: new Map() };
  const loads = [`start ${loadAverage()}`];
  try {
    for (const tree of refs) {
      tree.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compare-'));
      try {
        git(['worktree', 'add', '--detach', tree.dir, tree.sha!]);
      } catch (err) {
        fs.rmSync(tree.dir, { recursive: true, force: true });
        throw err;
      }
      worktrees.push(tree.dir);
      if (args.sameBench)
        for (const file of fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')))
          fs.copyFileSync(path.join(root, 'bench', file), path.join(tree.dir, 'bench', file));
      // A script ignores a flag it does not know: the ref would run the default shape and look comparable.
      for (const [script, passed] of Object.entries(passedOn)) {
        const source = fs.readFileSync(path.join(tree.dir, script), 'utf8');
        const unknown = passed.filter((f) => !source.includes(`'${f.slice(2)}'`));
        if (unknown.length) {
          process.stderr.write(
            `${script} at ${tree.sha} (ref ${tree.ref}) does not know ${unknown.join(', ')}: add --same-bench\n`,
          );
          process.exitCode = 2;
          return;
        }
      }
    }
    const lock = fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8').trim();
    for (const tree of refs) {
      if (git(['show', `${tree.sha}:package-lock.json`]) === lock)
        fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree.dir, 'node_modules'), 'dir');
      else {
        process.stderr.write(`package-lock.json differs at ${tree.sha}: npm ci in ${tree.dir}\n`);
        execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: tree.dir, stdio: ['ignore', 2, 2] });
      }
    }
    // Interleaved: each ref then this tree, per benchmark and round, so a change of machine load reaches all.
    for (let r = 0; r < rounds; r++) {
      for (const bench of BENCHMARKS) {
        for (const tree of [...refs, head]) {
          process.stderr.write(`round ${r + 1}/${rounds}: ${bench.script} on ${tree.label}\n`);
          const printed = await runBenchmark(tree, bench.script, passedOn[bench.script] ?? []);
          tree.runs.set(bench.script, [...(tree.runs.get(bench.script) ?? []), printed]);
        }
      }
      loads.push(`after round ${r + 1} ${loadAverage()}`);
    }
    const runsOf = (tree: Tree, script: string) => ({
      label: tree.label,
      ref: tree.ref,
      runs: tree.runs.get(script) ?? [],
    });
    process.stdout.write(
      `${benchHeader(`Compared with ${refs.map((t) => t.label).join(', ')}: quick overhead and economy, interleaved, ${rounds} round(s)`)}\n` +
        `benchmark scripts: ${args.sameBench ? `this tree's on ${refs.length === 1 ? 'both trees' : 'every tree'}` : "each tree's own"}\n` +
        (args.providerQueues
          ? 'overhead: provider activities on their own task queues (--provider-queues)\n'
          : '') +
        `load average (1, 5, 15 min): ${loads.join('; ')}\n\n` +
        BENCHMARKS.map((b) =>
          compareTable(
            b,
            refs.map((t) => runsOf(t, b.script)),
            runsOf(head, b.script),
          ),
        ).join('\n\n') +
        '\n',
    );
  } finally {
    removeWorktrees();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
