import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runCliInProcess } from '../harness/cli-bed';

/**
 * `starter validate` and `run --dry-run`: the file normalized, the provider requests it would make and
 * what can be said of its cost, exit 0 or 2; no Temporal server and no provider are needed or touched.
 */

const repo = path.resolve(__dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-validate-'));
// Nothing listens there: a command that tried to connect would fail (exit 1).
const nowhere = { TEMPORAL_ADDRESS: '127.0.0.1:1', TENSORONE_API_KEY: 'sk-validate-secret-1234' };

const inProcess = (args: string[]) => runCliInProcess(args, nowhere);

it('validate prints the normalized pipeline, the requests with their bodies and the cost, exit 0', async () => {
  const r = await inProcess(['validate', 'examples/pipeline.yaml']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toContain('examples/pipeline.yaml is valid.');
  // Defaults the file left out are filled in.
  expect(r.stdout).toMatch(/^ {4}maxWorkers: 1$/m);
  expect(r.stdout).toMatch(/^ {4}reportEvery: 30m$/m);
  expect(r.stdout).toContain(
    '1. POST /v2/training/jobs (tensorone): start training (on INSUFFICIENT_RESOURCES again with the next available of a100)',
  );
  expect(r.stdout).toContain('"learning_rate": 0.0002');
  expect(r.stdout).toContain('"gpuType": "h100"');
  expect(r.stdout).toContain('2. POST /v2/endpoints (tensorone): deploy the chosen checkpoint');
  expect(r.stdout).toContain('3. DELETE /v2/training/checkpoints/<checkpoint id> (tensorone)');
  expect(r.stdout).toMatch(
    /^cost: cannot be estimated from the file: TensorOne documents no prices.*budget\.maxCost \(500\)/m,
  );
  expect(r.stdout).not.toContain(nowhere.TENSORONE_API_KEY);
  expect(r.stdout).not.toMatch(/authorization|apiKey"|hfToken"/i);
});

it('--json and run --dry-run give the same plan; TensorMesh bodies leave the keys to the worker', async () => {
  const json = await inProcess(['validate', '--json', 'examples/pipeline-tensormesh.yaml']);
  expect(json.code).toBe(0);
  const plan = JSON.parse(json.stdout);
  expect(plan.pipeline.deploy).toMatchObject({ target: 'tensormesh', gpuCount: 1 });
  expect(plan.requests.map((q: { method: string; path: string }) => `${q.method} ${q.path}`)).toEqual([
    'POST /v2/training/jobs',
    'POST /v1/models',
    'DELETE /v2/training/checkpoints/<checkpoint id>',
  ]);
  expect(Object.keys(plan.requests[1].body)).not.toEqual(expect.arrayContaining(['apiKey']));
  expect(plan.cost.amount).toBeUndefined();
  const dry = await inProcess(['run', '--dry-run', '--json', 'examples/pipeline-tensormesh.yaml']);
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toEqual(plan);
});

it('an invalid file: exit 2 with a line per mistake, nothing printed as valid; as a process too', async () => {
  const p = YAML.parse(fs.readFileSync(path.join(repo, 'examples/pipeline.yaml'), 'utf8'));
  p.train.config.training.epoch = 8;
  const file = path.join(tmp, 'typo.yaml');
  fs.writeFileSync(file, YAML.stringify(p));
  const r = await inProcess(['validate', file]);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('train.config.training.epoch: is not a known key; did you mean `epochs`?');
  const spawned = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      path.join(repo, 'node_modules/.bin/tsx'),
      ['src/starter.ts', 'run', '--dry-run', file],
      {
        cwd: repo,
        env: { ...process.env, ...nowhere },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect(spawned).toMatchObject({ code: 2, stdout: '' });
  expect(spawned.stderr).toContain('did you mean `epochs`?');
}, 60_000);
