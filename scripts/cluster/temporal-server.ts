import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError } from '../../engine/errors';
import type { ClusterBinaries } from './binaries';
import { queryValue, type Postgres } from './postgres';
import { isAlive, lastErrorLine, livePidFromFile, portAnswers, terminate, waitFor } from './processes';
import { serverEnv, type ClusterSettings } from './settings';

/** The config a user can start from: cluster/config/cluster.yaml (`--env cluster`). */
export const CONFIG_DIR = 'cluster/config';
const CONFIG_ENV = 'cluster';

/** Persistence and visibility: each its own database, each schema from the SQL tool's embedded copy. */
const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
];

export function serverFiles(settings: ClusterSettings) {
  return {
    pid: path.join(settings.dir, 'temporal-server.pid'),
    log: path.join(settings.dir, 'temporal-server.log'),
  };
}

/**
 * Creates both databases when missing, then brings their schemas to the version this server needs:
 * `setup-schema -v 0.0` (version tables only, kept when present) and `update-schema` (applies only
 * what is newer), so running it on every start is safe.
 */
export function setupSchemas(
  binaries: ClusterBinaries,
  pg: Postgres,
  settings: ClusterSettings,
  log: (l: string) => void,
): void {
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(settings.pgPort),
    SQL_USER: settings.pgUser,
    SQL_PASSWORD: settings.pgPassword,
  };
  for (const db of DATABASES) {
    const sqlTool = (args: string[]) => {
      const result = spawnSync(binaries.sqlTool, ['--db', db.name, ...args], {
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (result.status !== 0) {
        const lines = `${result.stdout}\n${result.stderr}`.trim().split('\n').reverse();
        const cause = lines.find((l) => /error/i.test(l)) ?? lines[0];
        throw new EngineProvisionError(
          `temporal-sql-tool ${args[0]} on ${db.name} failed: ${cause?.trim() ?? `exit ${result.status}`}`,
        );
      }
    };
    const exists = queryValue(
      pg,
      settings,
      'postgres',
      `SELECT 1 FROM pg_database WHERE datname = '${db.name}'`,
    );
    if (exists !== '1') {
      log(`  creating database ${db.name}`);
      sqlTool(['create-database']);
    }
    const before = currentVersion(pg, settings, db.name);
    sqlTool(['setup-schema', '-v', '0.0']);
    sqlTool(['update-schema', '--schema-name', db.schema]);
    const after = currentVersion(pg, settings, db.name);
    if (before !== after) log(`  schema ${db.name}: ${before || 'empty'} → ${after}`);
  }
}

function currentVersion(pg: Postgres, settings: ClusterSettings, db: string): string {
  const hasTable = queryValue(pg, settings, db, `SELECT to_regclass('public.schema_version') IS NOT NULL`);
  if (hasTable !== 't') return '';
  return queryValue(pg, settings, db, `SELECT curr_version FROM schema_version LIMIT 1`);
}

/** The history shard count the database was set up with (fixed for its life), if the server ran once. */
export function recordedShards(pg: Postgres, settings: ClusterSettings): number | undefined {
  try {
    const value = queryValue(pg, settings, 'temporal', `SELECT count(*) FROM shards`);
    const n = Number(value);
    return n > 0 ? n : undefined;
  } catch {
    return undefined; // no schema yet
  }
}

export function serverPid(settings: ClusterSettings): number | undefined {
  return livePidFromFile(serverFiles(settings).pid, 'temporal-server');
}

/**
 * Starts all four roles in one process, detached, its log in the cluster directory, and waits until
 * the frontend answers. The process stays up after this script exits; `stop` ends it.
 */
export async function startServer(
  binaries: ClusterBinaries,
  settings: ClusterSettings,
  repo: string,
): Promise<number> {
  const files = serverFiles(settings);
  const out = fs.openSync(files.log, 'a');
  const child = spawn(
    binaries.server,
    ['--root', repo, '--config', CONFIG_DIR, '--env', CONFIG_ENV, '--allow-no-auth', 'start'],
    {
      cwd: repo,
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...serverEnv(settings) },
    },
  );
  fs.closeSync(out);
  const pid = child.pid!;
  child.unref();
  fs.writeFileSync(files.pid, `${pid}\n`);
  const host = settings.bindIp === '0.0.0.0' ? '127.0.0.1' : settings.bindIp;
  const up = await waitFor(async () => {
    if (!isAlive(pid)) return false;
    return (await portAnswers(settings.port, host)) ? true : undefined;
  }, 120_000);
  if (up !== true) {
    if (isAlive(pid)) await terminate(pid, 5000);
    fs.rmSync(files.pid, { force: true });
    const cause = lastErrorLine(files.log) ?? 'no log line';
    throw new EngineProvisionError(
      `Temporal server did not come up on ${host}:${settings.port}: ${cause} (log: ${files.log})`,
    );
  }
  return pid;
}

/** SIGTERM (the server drains its shards), SIGKILL after 30 s. */
export async function stopServer(settings: ClusterSettings): Promise<'stopped' | 'killed' | 'not running'> {
  const files = serverFiles(settings);
  const pid = serverPid(settings);
  const outcome = pid ? await terminate(pid, 30_000) : 'not running';
  fs.rmSync(files.pid, { force: true });
  return outcome;
}
