import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError } from '../../engine/errors';
import type { ClusterSettings } from './settings';

/** Debian's PostgreSQL packages install here, one directory per major version; 15 is the one we test. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';
const PREFERRED_VERSIONS = ['15', '16', '17', '14', '13', '12'];
const NEEDED = ['initdb', 'pg_ctl', 'postgres', 'psql'];

export interface Postgres {
  bin: string;
  dataDir: string;
  /** Socket and server log: owned by the user PostgreSQL runs as. */
  runDir: string;
  log: string;
  /** When this script runs as root, PostgreSQL (which refuses root) runs as the `postgres` user. */
  runAs?: { uid: number; gid: number };
}

/** Finds PostgreSQL's programs (FTP_CLUSTER_PG_BIN, then Debian's layout), or one line saying what to install. */
export function findPostgres(settings: ClusterSettings, env: NodeJS.ProcessEnv): Postgres {
  const candidates = env.FTP_CLUSTER_PG_BIN
    ? [env.FTP_CLUSTER_PG_BIN]
    : PREFERRED_VERSIONS.map((v) => path.join(DEBIAN_PG_ROOT, v, 'bin'));
  const bin = candidates.find((dir) => NEEDED.every((p) => fs.existsSync(path.join(dir, p))));
  if (!bin)
    throw new EngineProvisionError(
      env.FTP_CLUSTER_PG_BIN
        ? `PostgreSQL is missing: FTP_CLUSTER_PG_BIN=${env.FTP_CLUSTER_PG_BIN} lacks one of ${NEEDED.join(', ')}`
        : `PostgreSQL is missing: no ${NEEDED.join('/')} under ${DEBIAN_PG_ROOT}/{${PREFERRED_VERSIONS.join(',')}}/bin (Debian/Ubuntu: apt-get install postgresql-15; elsewhere set FTP_CLUSTER_PG_BIN to the directory that has them)`,
    );
  const runDir = path.join(settings.dir, 'postgres-run');
  return {
    bin,
    dataDir: path.join(settings.dir, 'postgres'),
    runDir,
    log: path.join(runDir, 'postgres.log'),
    runAs: process.getuid?.() === 0 ? postgresUser() : undefined,
  };
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0)
    throw new EngineProvisionError(
      "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as: run `npm run cluster` as a normal user, or create the user (useradd --system postgres)",
    );
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(pg: Postgres, program: string, args: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(path.join(pg.bin, program), args, {
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: pg.runDir,
    ...(pg.runAs ?? {}),
    ...options,
  });
  return {
    status: result.status,
    error: result.error,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}

function failure(what: string, result: ReturnType<typeof run>): EngineProvisionError {
  const text = `${result.stderr ?? ''}\n${result.stdout ?? ''}`.trim().split('\n');
  const cause = text.reverse().find((l) => /error|fatal|could not|failed/i.test(l)) ?? text[0] ?? '';
  return new EngineProvisionError(
    `${what} failed: ${cause.trim() || result.error?.message || `exit ${result.status}`}`,
  );
}

/** A directory only PostgreSQL's user can enter; its parents stay traversable (a root run hands it to `postgres`). */
function ownedDir(pg: Postgres, dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { mode: 0o700 });
  if (pg.runAs) fs.chownSync(dir, pg.runAs.uid, pg.runAs.gid);
}

/** Creates the data directory with `initdb` the first time; returns whether it did. */
export function initPostgres(pg: Postgres, settings: ClusterSettings): boolean {
  ownedDir(pg, pg.runDir);
  if (fs.existsSync(path.join(pg.dataDir, 'PG_VERSION'))) return false;
  ownedDir(pg, pg.dataDir);
  const pwfile = path.join(pg.runDir, 'initdb-password');
  fs.writeFileSync(pwfile, `${settings.pgPassword}\n`, { mode: 0o600 });
  if (pg.runAs) fs.chownSync(pwfile, pg.runAs.uid, pg.runAs.gid);
  try {
    const result = run(pg, 'initdb', [
      '-D',
      pg.dataDir,
      '-U',
      settings.pgUser,
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
    ]);
    if (result.status !== 0) throw failure('initdb', result);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  return true;
}

/** The postmaster's pid when it runs on this data directory. */
export function postgresPid(pg: Postgres): number | undefined {
  if (!fs.existsSync(path.join(pg.dataDir, 'PG_VERSION'))) return undefined;
  const status = run(pg, 'pg_ctl', ['status', '-D', pg.dataDir]);
  if (status.status !== 0) return undefined;
  const match = /PID: (\d+)/.exec(status.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Starts the postmaster on 127.0.0.1 only and waits until it accepts connections. */
export function startPostgres(pg: Postgres, settings: ClusterSettings): void {
  const result = run(pg, 'pg_ctl', [
    'start',
    '-D',
    pg.dataDir,
    '-l',
    pg.log,
    '-w',
    '-t',
    '90',
    '-o',
    `-p ${settings.pgPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${pg.runDir}`,
  ]);
  if (result.status !== 0) {
    const logTail = fs.existsSync(pg.log) ? fs.readFileSync(pg.log, 'utf8').trim().split('\n').slice(-5) : [];
    const cause = logTail.reverse().find((l) => /FATAL|ERROR|could not/.test(l));
    throw cause
      ? new EngineProvisionError(`PostgreSQL did not start: ${cause.trim()}`)
      : failure('pg_ctl start', result);
  }
}

/** Stops without a checkpoint, as a crash would: the next start recovers from the WAL. */
export function stopPostgresImmediately(pg: Postgres): void {
  const immediate = run(pg, 'pg_ctl', ['stop', '-D', pg.dataDir, '-m', 'immediate', '-w', '-t', '30']);
  if (immediate.status !== 0) throw failure('pg_ctl stop -m immediate', immediate);
}

export function stopPostgres(pg: Postgres): void {
  const fast = run(pg, 'pg_ctl', ['stop', '-D', pg.dataDir, '-m', 'fast', '-w', '-t', '60']);
  if (fast.status !== 0) stopPostgresImmediately(pg);
}

/** One value from a query, over TCP as the cluster's user (as the server connects). */
export function queryValue(pg: Postgres, settings: ClusterSettings, database: string, sql: string): string {
  const result = run(
    pg,
    'psql',
    ['-h', '127.0.0.1', '-p', String(settings.pgPort), '-U', settings.pgUser, '-d', database, '-tAc', sql],
    {
      env: { ...process.env, PGPASSWORD: settings.pgPassword, PGCONNECT_TIMEOUT: '10' },
      uid: undefined,
      gid: undefined,
      cwd: settings.dir,
    },
  );
  if (result.status !== 0) throw failure(`psql on ${database}`, result);
  return (result.stdout ?? '').trim();
}
