import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import YAML from 'yaml';
import { createActivities } from '../../src/activities';
import { createProviderClients } from '../../src/providers/config';
import type { Sandbox } from '../../src/sandbox/server';
import { startSandbox } from '../../src/sandbox/server';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';
import { workflowCode } from '../../src/config/workflow-code';

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-cli-'));

let dev: DevServerHandle;
let sandbox: Sandbox;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('cli');

beforeAll(async () => {
  dev = await connectDevServer();
  sandbox = await startSandbox({ epochMs: 150, queueMs: 50, deployMs: 150 });
  worker = await Worker.create({
    connection: dev.nativeConnection,
    taskQueue,
    ...workflowCode(),
    activities: createActivities(createProviderClients(sandbox.endpoints)),
  });
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await sandbox.close();
  await dev.close();
});

const cliEnv = () => ({ ...process.env, TEMPORAL_ADDRESS: dev.address, TEMPORAL_TASK_QUEUE: taskQueue });
/** The CLI as its own process. Asynchronous: the worker in this process must keep answering meanwhile. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = cliEnv(),
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['src/starter.ts', ...args], { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The example pipeline with a unique name, compressed further for a 150 ms epoch. */
function pipelineFile(name: string, edit: (p: Record<string, unknown>) => void = () => undefined): string {
  const p = YAML.parse(fs.readFileSync(path.join(repo, 'examples/pipeline-gated.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  p.name = name;
  (p.train as { config: { training: { epochs: number } } }).config.training.epochs = 4;
  p.supervision = {
    freshness: '1s',
    minInterval: '200ms',
    stallAfter: '20s',
    resumeBudget: 1,
    unknownStatusGrace: '20s',
  };
  edit(p);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(p));
  return file;
}

it('refuses a bad pipeline file with exit code 2, naming the file and the field, starting nothing', async () => {
  const file = pipelineFile(
    'bad-file',
    (p) => ((p.train as Record<string, unknown>).datasetId = 'not-a-dataset'),
  );
  const before = sandbox.state.jobs.size;
  const r = await cli(['run', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('bad-file.yaml is invalid');
  expect(r.stderr).toContain('train.datasetId');
  expect(sandbox.state.jobs.size).toBe(before);
  const runs = [];
  for await (const w of dev.client.workflow.list({ query: `WorkflowId = 'pipeline-bad-file'` })) runs.push(w);
  expect(runs).toHaveLength(0);
});

it('run → approve → serving, with the CLI as a separate process; status --json has the documented shape', async () => {
  const file = pipelineFile('cli-gated');
  const run = spawn(tsx, ['src/starter.ts', 'run', file], { cwd: repo, env: cliEnv() });
  let stdout = '';
  let stderr = '';
  run.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => run.on('close', resolve));

  const id = 'pipeline-cli-gated';
  let status: Record<string, unknown> = {};
  for (let i = 0; i < 120 && status.phase !== 'awaiting-approval'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const s = await cli(['status', id, '--json']);
    if (s.code === 0) status = JSON.parse(s.stdout);
  }
  expect(status).toMatchObject({
    workflowId: id,
    runStatus: 'RUNNING',
    phase: 'awaiting-approval',
    provider: 'tensorone',
    jobId: expect.any(String),
    candidate: { metric: 'validationLoss', checkpointId: expect.any(String), value: expect.any(Number) },
    pinned: [],
  });
  expect(status.training).toMatchObject({
    status: 'completed',
    epoch: 4,
    totalEpochs: 4,
    percentage: 100,
    cost: expect.any(Number),
  });

  // A second `run` of the same file while it runs attaches; no second pipeline, no second job.
  const jobsBefore = sandbox.state.jobs.size;
  const again = await cli(['run', file, '--no-follow']);
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`attached to running ${id}`);
  expect(sandbox.state.jobs.size).toBe(jobsBefore);

  const approve = await cli(['approve', id, '--reason', 'eval ok', '--by', 'ada']);
  expect(approve.code).toBe(0);
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/^serving: tensorone-endpoint ep_/m);
  expect(stderr).toContain('started pipeline-cli-gated');
  const human = await cli(['status', id]);
  expect(human.stdout).toContain('phase: completed');
  expect(human.stdout).toContain('approved by ada: eval ok');
}, 120_000);

it('manages the cleanup schedule: create, list, trigger, delete', async () => {
  const id = `cleanup-${taskQueue}`;
  expect(
    (await cli(['schedule', 'cleanup', 'create', '--id', id, '--every', '1d', '--keep', '2'])).stdout,
  ).toContain(`created schedule ${id}`);
  expect(
    (await cli(['schedule', 'cleanup', 'update', '--id', id, '--every', '12h', '--keep', '3'])).stdout,
  ).toContain(`updated schedule ${id}`);
  const listed = JSON.parse((await cli(['schedule', 'cleanup', 'list', '--json'])).stdout) as {
    scheduleId: string;
    paused: boolean;
  }[];
  expect(listed.find((s) => s.scheduleId === id)).toMatchObject({ paused: false });
  expect((await cli(['schedule', 'cleanup', 'trigger', '--id', id])).code).toBe(0);
  const description = await dev.client.schedule.getHandle(id).describe();
  expect(description.policies.overlap).toBe('SKIP');
  expect((await cli(['schedule', 'cleanup', 'delete', '--id', id])).code).toBe(0);
});

it('the worker refuses a bad environment with one message naming every bad variable (exit 1)', () => {
  const r = spawnSync(tsx, ['src/worker.ts'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: 'no-port',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '-3',
      TENSORONE_BASE_URL: 'https://api.tensorone.example',
    },
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('worker: invalid configuration');
  expect(r.stderr).toContain('TEMPORAL_ADDRESS: must be host:port');
  expect(r.stderr).toContain('WORKER_MAX_CONCURRENT_ACTIVITIES');
  expect(r.stderr).toContain('TENSORONE_API_KEY: is required when TENSORONE_BASE_URL is set');
});
