import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');

/** Runs `npm run engine`'s script with an empty cache and a PATH that lacks the named tool. */
function provisionWithout(tool: string, only: Record<string, string>) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-empty-cache-'));
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-path-'));
  // A PATH with node (to run the script) and the other tools, but not `tool`.
  for (const name of ['node', 'go', 'java', 'javac', 'jar', 'mvn', 'bash', 'env', 'sh']) {
    if (name === tool) continue;
    const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(binDir, name));
  }
  const started = Date.now();
  const run = spawnSync(tsx, ['scripts/engine.ts'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PATH: binDir, FTP_ENGINE_CACHE: cache, TEMPORAL_ADDRESS: '', ...only },
  });
  fs.rmSync(cache, { recursive: true, force: true });
  fs.rmSync(binDir, { recursive: true, force: true });
  return { ...run, seconds: (Date.now() - started) / 1000 };
}

describe('engine provisioning preflight', () => {
  it('stops at once with one line naming Go when Go is missing', () => {
    const run = provisionWithout('go', {});
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^engine: Go .*is missing/);
    expect(run.seconds).toBeLessThan(30);
  });

  it('stops at once with one line naming Java when Java is missing', () => {
    // The dev server is taken as given so that only the test server (which needs Java) is provisioned.
    const run = provisionWithout('java', { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^engine: Java .*is missing/);
  });

  it('stops at once with one line naming the Java compiler when javac is missing (the test server fix is compiled)', () => {
    const run = provisionWithout('javac', { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^engine: A Java compiler \(javac.*is missing/);
  });

  it('uses a binary the user names instead of building one', () => {
    const run = spawnSync(tsx, ['scripts/engine.ts'], {
      cwd: repo,
      encoding: 'utf8',
      env: {
        ...process.env,
        TEMPORAL_CLI_PATH: '/bin/true',
        TEMPORAL_TEST_SERVER_PATH: '/bin/true',
        TEMPORAL_ADDRESS: '',
      },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('dev server:  /bin/true');
  });
});
