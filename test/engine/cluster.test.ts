import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prometheusConfig } from '../../scripts/cluster/prometheus';
import { loadClusterSettings, serverPorts } from '../../scripts/cluster/settings';

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');

/** `npm run cluster -- <command>` against an empty cache and cluster directory, PATH without `hide`. */
function cluster(command: string, env: Record<string, string>, hide?: string) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-empty-cache-'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-cluster-dir-'));
  const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-path-'));
  for (const name of ['node', 'go', 'env', 'sh', 'id']) {
    if (name === hide) continue;
    const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(binDir, name));
  }
  const run = spawnSync(tsx, ['scripts/cluster.ts', command], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PATH: binDir, FTP_ENGINE_CACHE: cache, FTP_CLUSTER_DIR: dir, ...env },
  });
  const dirLeft = fs.readdirSync(dir);
  for (const d of [cache, dir, binDir]) fs.rmSync(d, { recursive: true, force: true });
  return { ...run, lines: run.stderr.trim().split('\n'), dirLeft };
}

describe('npm run cluster refuses at once, in one line', () => {
  it('names Go when it is missing and nothing is built yet', () => {
    const run = cluster('start', { FTP_CLUSTER_PG_BIN: fakePostgresBin() }, 'go');
    expect(run.status).toBe(1);
    expect(run.lines).toHaveLength(1);
    expect(run.stderr).toMatch(/^cluster: Go is missing: 'go' is not on PATH/);
    expect(run.dirLeft).toEqual([]); // nothing was initialized before the refusal
  });

  it('names PostgreSQL and what to set when its programs are not there', () => {
    const run = cluster('start', { FTP_CLUSTER_PG_BIN: '/nonexistent/pg/bin' });
    expect(run.status).toBe(1);
    expect(run.lines).toEqual([
      'cluster: PostgreSQL is missing: FTP_CLUSTER_PG_BIN=/nonexistent/pg/bin lacks one of initdb, pg_ctl, postgres, psql',
    ]);
  });

  it('names the variable of a bad port (exit 2)', () => {
    const run = cluster('start', { FTP_CLUSTER_PORT: '80' });
    expect(run.status).toBe(2);
    expect(run.lines).toEqual([
      'cluster: FTP_CLUSTER_PORT must be a whole number from 1024 to 65526, got "80"',
    ]);
  });

  it('reports a never-started cluster as stopped (exit 3)', () => {
    const run = cluster('status', { FTP_CLUSTER_PG_BIN: fakePostgresBin() });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^cluster: stopped\n/);
    expect(run.stderr).toContain('never started here: npm run cluster');
  });
});

describe('cluster settings', () => {
  it('defaults to ports clear of the dev server (7233/8233) and the sandbox (8787)', () => {
    const s = loadClusterSettings({}, repo);
    const ports = [...Object.values(serverPorts(s.port)), s.pgPort, s.prometheusPort];
    expect(new Set(ports).size).toBe(12);
    for (const taken of [7233, 8233, 8787, 9464]) expect(ports).not.toContain(taken);
    expect(s.shards).toBeGreaterThanOrEqual(16);
    expect(s.dir).toBe(path.join(repo, '.data/cluster'));
  });

  it('takes the highest frontend port whose nine followers still fit, and refuses the next', () => {
    expect(loadClusterSettings({ FTP_CLUSTER_PORT: '65526' }, repo).port).toBe(65526);
    expect(() => loadClusterSettings({ FTP_CLUSTER_PORT: '65527' }, repo)).toThrow(/FTP_CLUSTER_PORT/);
    expect(() => loadClusterSettings({ FTP_CLUSTER_PORT: '7933.5' }, repo)).toThrow(/whole number/);
  });

  it('refuses a PostgreSQL port among the server ports, at both ends of the range', () => {
    for (const pg of ['9000', '9009'])
      expect(() => loadClusterSettings({ FTP_CLUSTER_PORT: '9000', FTP_CLUSTER_PG_PORT: pg }, repo)).toThrow(
        /FTP_CLUSTER_PG_PORT=.* falls among the server's ports 9000-9009/,
      );
    expect(loadClusterSettings({ FTP_CLUSTER_PORT: '9000', FTP_CLUSTER_PG_PORT: '9010' }, repo).pgPort).toBe(
      9010,
    );
  });
});

describe("the cluster's Prometheus", () => {
  it("scrapes the server's metrics port and the workers' file, with the rules npm test checks", () => {
    const s = loadClusterSettings({ FTP_CLUSTER_PORT: '9000', FTP_CLUSTER_DIR: '/tmp/c' }, repo);
    const config = prometheusConfig(s, repo);
    expect(config).toContain('targets: ["127.0.0.1:9009"]');
    expect(config).toContain('files: ["/tmp/c/prometheus/workers.json"]');
    expect(config).toContain(`- ${JSON.stringify(path.join(repo, 'ops/prometheus/rules.yml'))}`);
    expect(fs.existsSync(path.join(repo, 'ops/prometheus/rules.yml'))).toBe(true);
  });

  it('refuses a port the cluster itself uses, and takes 0 as "no Prometheus"', () => {
    for (const bad of ['9000', '9009', '8999'])
      expect(() =>
        loadClusterSettings(
          { FTP_CLUSTER_PORT: '9000', FTP_CLUSTER_PG_PORT: '8999', FTP_CLUSTER_PROMETHEUS_PORT: bad },
          repo,
        ),
      ).toThrow(/FTP_CLUSTER_PROMETHEUS_PORT=\d+ is taken by the cluster itself/);
    expect(loadClusterSettings({ FTP_CLUSTER_PROMETHEUS_PORT: '0' }, repo).prometheusPort).toBe(0);
    expect(
      loadClusterSettings({ FTP_CLUSTER_PORT: '9000', FTP_CLUSTER_PROMETHEUS_PORT: '9010' }, repo)
        .prometheusPort,
    ).toBe(9010);
  });

  it('names the setting of a worker address that is not host:port, or an interval it cannot read', () => {
    expect(
      loadClusterSettings({ FTP_CLUSTER_WORKER_METRICS: '127.0.0.1:9464, w2:9465' }, repo).workerMetrics,
    ).toEqual(['127.0.0.1:9464', 'w2:9465']);
    expect(loadClusterSettings({ FTP_CLUSTER_WORKER_METRICS: '' }, repo).workerMetrics).toEqual([]);
    expect(() => loadClusterSettings({ FTP_CLUSTER_WORKER_METRICS: 'http://w1:9464/metrics' }, repo)).toThrow(
      /FTP_CLUSTER_WORKER_METRICS must list host:port pairs.*"http:\/\/w1:9464\/metrics"/,
    );
    expect(() => loadClusterSettings({ FTP_CLUSTER_SCRAPE_INTERVAL: '15' }, repo)).toThrow(
      /FTP_CLUSTER_SCRAPE_INTERVAL must be a duration/,
    );
  });
});

/** A directory with the four PostgreSQL program names, so only what a test hides is missing. */
function fakePostgresBin(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-fake-pg-'));
  for (const p of ['initdb', 'pg_ctl', 'postgres', 'psql'])
    fs.writeFileSync(path.join(dir, p), '', { mode: 0o755 });
  return dir;
}
