/**
 * CLI latency: whole-process wall time of `starter --help`, `starter status <id>` and `starter list`,
 * as the `starter` bin runs them (compiled JavaScript from `npm run build:cli`, built first when out of
 * date) and from the TypeScript source through tsx, beside the `temporal` CLI's `--help`,
 * `workflow describe` and `workflow list` against the same local dev server and the same completed
 * pipeline. Prints min, median and max of each; the machine's load average says how busy it was.
 *   npx tsx bench/cli.ts [--quick] [--runs N]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEngines } from '../engine';
import { fastSupervision, pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { fineTuneToDeploy } from '../src/workflows';
import { startBenchBed } from './bed';
import { benchHeader, option, percentile, quick, table } from './report';

const repo = path.resolve(__dirname, '..');
const runs = Number(option('runs') ?? (quick ? 5 : 10));

/** The newest modification time under `dir`, as bin/starter.cjs compares it with the compiled CLI. */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(file) : fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Builds the compiled CLI when it is missing or older than a source file (what the bin would run). */
function ensureCompiledCli(): void {
  const compiled = path.join(repo, 'dist/src/starter.js');
  const current =
    fs.existsSync(compiled) && fs.statSync(compiled).mtimeMs >= newestUnder(path.join(repo, 'src'));
  if (current) return;
  process.stderr.write('building the compiled CLI (npm run build:cli)…\n');
  const built = spawnSync('npm', ['run', 'build:cli'], { cwd: repo, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build:cli failed');
}

/** One run's wall seconds; it must exit 0. Asynchronous: the bench's own worker answers meanwhile. */
function once(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve(seconds);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/** Wall seconds of each of `runs` runs of the command, after one run not counted. */
async function time(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  await once(command, args, env);
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) seconds.push(await once(command, args, env));
  return seconds;
}

async function main(): Promise<void> {
  ensureCompiledCli();
  const temporalCli = (await ensureEngines({ testServer: false })).devServer;
  if (!temporalCli)
    throw new Error('no temporal CLI: run without TEMPORAL_ADDRESS (the bench starts its own server)');

  const taskQueue = 'bench-cli';
  const bed = await startBenchBed(taskQueue, { epochMs: 50, queueMs: 10, deployMs: 10 });
  try {
    const workflowId = 'bench-cli-pipeline';
    await bed.env.client.workflow.execute(fineTuneToDeploy, {
      taskQueue,
      workflowId,
      args: [
        pipelineInput('bench-cli', {
          train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
          supervision: fastSupervision,
          deploy: { target: 'tensorone-endpoint', timeout: '1m' },
        }),
      ],
    });
    const address = bed.env.connection.options.address;
    const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue };
    const node = process.execPath;
    const tsx = path.join(repo, 'node_modules/.bin/tsx');
    const reads: [label: string, starter: string[], temporal: string[]][] = [
      ['help', ['--help'], ['--help']],
      ['status', ['status', workflowId], ['workflow', 'describe', '-w', workflowId, '--address', address]],
      ['list', ['list'], ['workflow', 'list', '--address', address]],
    ];
    const rows: (string | number)[][] = [];
    for (const [label, starterArgs, temporalArgs] of reads) {
      const measured: [string, number[]][] = [
        [`starter ${label} (bin, compiled)`, await time(node, ['bin/starter.cjs', ...starterArgs], env)],
        [`starter ${label} (source through tsx)`, await time(tsx, ['src/starter.ts', ...starterArgs], env)],
        [`temporal ${temporalArgs.slice(0, 2).join(' ')}`, await time(temporalCli, temporalArgs, env)],
      ];
      for (const [what, seconds] of measured)
        rows.push([what, Math.min(...seconds), percentile(seconds, 50), Math.max(...seconds)]);
    }
    const load = os.loadavg().map((l) => l.toFixed(1));
    process.stdout.write(
      `${benchHeader('CLI latency: starter beside the temporal CLI (whole process, local dev server)')}\n` +
        `${runs} runs each after one not counted; load average at the end ${load.join(' / ')} on ${os.cpus().length} cores\n\n` +
        `${table(['command', 'min s', 'median s', 'max s'], rows)}\n`,
    );
  } finally {
    await bed.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/cli: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
