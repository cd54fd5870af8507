import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { useCliBed } from '../harness/cli-bed';
import { freePort } from '../../engine/free-port';

/**
 * A quiet terminal: the main job shows progress and results while the worker's and the dev server's
 * logs go to files it names once; the CLI answers a refusal with one line (one JSON line with --json)
 * and an unexpected failure with one line and the log file that has its details. Never a stack trace.
 */

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const bed = useCliBed({ name: 'quiet' });

const STACK_FRAME = /\n\s+at .+:\d+:\d+/;
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-quiet-'));

it('a refusal is one line; with --json one JSON line with its kind and exit code; no stack either way', async () => {
  const text = await bed.cli(['run', 'no-such-pipeline.yaml']);
  expect(text.code).toBe(2);
  expect(lines(text.stderr)).toHaveLength(1);
  expect(text.stderr).toMatch(/^error: .*no-such-pipeline\.yaml/);

  const json = await bed.cli(['run', 'no-such-pipeline.yaml', '--json']);
  expect(json.code).toBe(2);
  expect(json.stdout).toBe('');
  expect(lines(json.stderr)).toHaveLength(1);
  const answer = JSON.parse(json.stderr) as { error: { kind: string; exitCode: number; message: string } };
  expect(answer.error).toMatchObject({ kind: 'refused', exitCode: 2 });
  expect(answer.error.message).toContain('no-such-pipeline.yaml');
  expect(json.stderr).not.toMatch(STACK_FRAME);
}, 60_000);

it('an unexpected failure is one line that names the log file; the file has the stack', async () => {
  const logs = tempDir();
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as net.AddressInfo;
  try {
    const r = await bed.inProcess(['console', '--port', String(port)], {
      FTP_LOG_DIR: logs,
      CONSOLE_HOST: '127.0.0.1',
    });
    const logFile = path.join(logs, 'starter.log');
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^error: .*EADDRINUSE/)]);
    expect(r.stderr).toContain(`(details: ${logFile})`);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    const logged = JSON.parse(lines(fs.readFileSync(logFile, 'utf8'))[0]) as Record<string, string>;
    expect(logged).toMatchObject({ level: 'ERROR', command: `console --port ${port}` });
    expect(logged.stack).toMatch(/EADDRINUSE[\s\S]*\n\s+at /);
  } finally {
    taken.close();
  }
});

it('npm start: progress and results on the terminal, the worker and dev server logs in the files it names', async () => {
  // Its own directory (for .data/) and ports, so it shares nothing with another server on this machine.
  const cwd = tempDir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CI: '1',
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    SANDBOX_PORT: String(await freePort()),
    CONSOLE_PORT: '0',
    SANDBOX_EPOCH_MS: '100',
  };
  delete env.TEMPORAL_ADDRESS;
  const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(
      tsx,
      [path.join(repo, 'scripts/main-job.ts'), path.join(repo, 'examples/pipeline.yaml')],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
  expect(run.code).toBe(0);
  expect(run.output).toContain('logs: .data/logs/ (worker.log, dev-server.log)');
  expect(run.output).toContain('serving: tensorone-endpoint');
  // Neither the dev server's banner nor the SDK's warnings, nor any stack.
  expect(run.output).not.toMatch(/Server: +localhost|Metrics: http|\[WARN\]|No workflows registered/);
  expect(run.output).not.toMatch(STACK_FRAME);
  const logs = path.join(cwd, '.data/logs');
  expect(fs.readFileSync(path.join(logs, 'dev-server.log'), 'utf8')).toMatch(/Server: +localhost/);
  const workerLog = lines(fs.readFileSync(path.join(logs, 'worker.log'), 'utf8'));
  expect(workerLog.length).toBeGreaterThan(0);
  for (const line of workerLog) expect(JSON.parse(line)).toHaveProperty('level');
  fs.rmSync(cwd, { recursive: true, force: true });
}, 240_000);
