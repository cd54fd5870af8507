import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import YAML from 'yaml';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { createProviderClients } from '../../src/providers/config';
import { createWorker, defaultWorkerSettings } from '../../src/worker-factory';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';

/**
 * A typo in a pipeline file must not start paid training: the CLI refuses it (exit 2) with a line per
 * mistake, and no request reaches the provider, while a worker stands ready to run whatever starts.
 */

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-file-refusals-'));
const taskQueue = uniqueTaskQueue('file-refusals');

let dev: DevServerHandle;
let sandbox: Sandbox;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  dev = await connectDevServer();
  sandbox = await startSandbox({ epochMs: 150, queueMs: 50, deployMs: 150 });
  worker = await createWorker({
    connection: dev.nativeConnection,
    taskQueue,
    providers: createProviderClients(sandbox.endpoints),
    settings: defaultWorkerSettings(),
    overrides: { shutdownGraceTime: 0 },
  });
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await sandbox.close();
  await dev.close();
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, ['src/starter.ts', ...args], {
      cwd: repo,
      env: { ...process.env, TEMPORAL_ADDRESS: dev.address, TEMPORAL_TASK_QUEUE: taskQueue },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The example pipeline under a new name, with `edit` applied to its parsed YAML. */
type ExampleTrain = { train: { datasetId?: string; datasetID?: string; config: Record<string, unknown> } };
function exampleWith(name: string, edit: (p: ExampleTrain) => void): string {
  const p = YAML.parse(fs.readFileSync(path.join(repo, 'examples/pipeline.yaml'), 'utf8')) as ExampleTrain & {
    name: string;
  };
  p.name = name;
  edit(p);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(p));
  return file;
}

it('`epochs: eight`, `epoch: 8` and `learningrate:` in train.config → exit 2, a line per mistake, no request reaches the sandbox', async () => {
  const cases: [file: string, expected: string][] = [
    [
      exampleWith('typo-eight', (p) => (p.train.config.training = { epochs: 'eight' })),
      'train.config.training.epochs: must be a whole number ≥ 1, got "eight"',
    ],
    [
      exampleWith('typo-epoch', (p) => (p.train.config.training = { epoch: 8 })),
      'train.config.training.epoch: is not a known key; did you mean `epochs`?',
    ],
    [
      exampleWith('typo-lr', (p) => (p.train.config.training = { epochs: 8, learningrate: 2e-4 })),
      'train.config.training.learningrate: is not a known key; did you mean `learningRate` or `learning_rate`?',
    ],
  ];
  const results = await Promise.all(cases.map(([file]) => cli(['run', '--no-follow', file])));
  results.forEach((r, i) => {
    expect({ file: cases[i][0], code: r.code }).toEqual({ file: cases[i][0], code: 2 });
    expect(r.stderr).toContain(cases[i][1]);
    // One mistake, one line.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(1);
  });
  const state = (await sandboxAdmin(sandbox.url).state()) as { jobs: unknown[] };
  expect(state.jobs).toEqual([]);
  expect((await sandboxAdmin(sandbox.url).counters()).requests).toBe(0);
}, 120_000);

it('a misspelled required key is one error with a suggestion; a missing file is said plainly', async () => {
  const typo = exampleWith('typo-dataset', (p) => {
    p.train.datasetID = p.train.datasetId;
    delete p.train.datasetId;
  });
  const missing = path.join(tmp, 'no-such-pipeline.yaml');
  const [dataset, absent] = await Promise.all([cli(['run', typo]), cli(['run', missing])]);
  expect(dataset.code).toBe(2);
  expect(dataset.stderr).toContain('train.datasetID: is not a known key; did you mean `datasetId`?');
  expect(dataset.stderr).not.toContain('train.datasetId');
  expect(absent.code).toBe(2);
  expect(absent.stderr.trim()).toBe(`error: no such file: ${missing}`);
  expect((await sandboxAdmin(sandbox.url).counters()).requests).toBe(0);
}, 120_000);
