import fs from 'node:fs';
import path from 'node:path';

/**
 * What `npm run cluster` runs, from the environment. The same variables are read by
 * cluster/config/cluster.yaml, so the server and this script always agree on ports.
 */
export interface ClusterSettings {
  /** Frontend gRPC port: the address workers and the CLI use. The other server ports follow it. */
  port: number;
  bindIp: string;
  pgPort: number;
  pgUser: string;
  pgPassword: string;
  shards: number;
  namespace: string;
  retentionDays: number;
  /** Where PostgreSQL's data, the logs and the pid files live (git-ignored). */
  dir: string;
  /** Prometheus (scraping the server and the workers, with the project's rules) on 127.0.0.1; 0: not started. */
  prometheusPort: number;
  scrapeInterval: string;
  /** host:port of each worker's WORKER_METRICS_ADDRESS, scraped until a tool writes its own list. */
  workerMetrics: string[];
}

export const CLUSTER_DEFAULTS = {
  port: 7933,
  pgPort: 7932,
  shards: 16,
  namespace: 'default',
  retentionDays: 7,
  prometheusPort: 7990,
  scrapeInterval: '15s',
  workerMetrics: '127.0.0.1:9464',
};

/** A setting the user can fix: the message names the variable and what it must be. */
export class ClusterSettingError extends Error {}

/** Every port the server binds, by what it is; `FTP_CLUSTER_PORT` and the offsets in cluster.yaml. */
export function serverPorts(port: number): Record<string, number> {
  return {
    'frontend gRPC': port,
    'history gRPC': port + 1,
    'matching gRPC': port + 2,
    'worker gRPC': port + 3,
    'frontend membership': port + 4,
    'history membership': port + 5,
    'matching membership': port + 6,
    'worker membership': port + 7,
    'frontend HTTP': port + 8,
    'server metrics': port + 9,
  };
}

export function loadClusterSettings(env: NodeJS.ProcessEnv, repo: string): ClusterSettings {
  const port = intSetting(env, 'FTP_CLUSTER_PORT', CLUSTER_DEFAULTS.port, 1024, 65535 - 9);
  const pgPort = intSetting(env, 'FTP_CLUSTER_PG_PORT', CLUSTER_DEFAULTS.pgPort, 1024, 65535);
  if (pgPort >= port && pgPort <= port + 9)
    throw new ClusterSettingError(
      `FTP_CLUSTER_PG_PORT=${pgPort} falls among the server's ports ${port}-${port + 9} (FTP_CLUSTER_PORT and the nine after it); pick another`,
    );
  const namespace = env.FTP_CLUSTER_NAMESPACE || CLUSTER_DEFAULTS.namespace;
  if (!/^[A-Za-z0-9][\w.-]{1,254}$/.test(namespace))
    throw new ClusterSettingError(
      `FTP_CLUSTER_NAMESPACE must be 2-255 letters, digits, '.', '_' or '-', got "${namespace}"`,
    );
  return {
    port,
    bindIp: env.FTP_CLUSTER_BIND_IP || '127.0.0.1',
    pgPort,
    pgUser: env.FTP_CLUSTER_PG_USER || 'temporal',
    pgPassword: env.FTP_CLUSTER_PG_PASSWORD || 'temporal',
    shards: intSetting(env, 'FTP_CLUSTER_SHARDS', CLUSTER_DEFAULTS.shards, 1, 16384),
    namespace,
    retentionDays: intSetting(env, 'FTP_CLUSTER_RETENTION_DAYS', CLUSTER_DEFAULTS.retentionDays, 1, 3650),
    dir: path.resolve(repo, env.FTP_CLUSTER_DIR || '.data/cluster'),
    prometheusPort: prometheusPort(env, port, pgPort),
    scrapeInterval: scrapeInterval(env),
    workerMetrics: workerMetrics(env),
  };
}

function prometheusPort(env: NodeJS.ProcessEnv, port: number, pgPort: number): number {
  if (env.FTP_CLUSTER_PROMETHEUS_PORT === '0') return 0;
  const value = intSetting(env, 'FTP_CLUSTER_PROMETHEUS_PORT', CLUSTER_DEFAULTS.prometheusPort, 1024, 65535);
  if ((value >= port && value <= port + 9) || value === pgPort)
    throw new ClusterSettingError(
      `FTP_CLUSTER_PROMETHEUS_PORT=${value} is taken by the cluster itself (server ${port}-${port + 9}, PostgreSQL ${pgPort}); pick another, or 0 for no Prometheus`,
    );
  return value;
}

function scrapeInterval(env: NodeJS.ProcessEnv): string {
  const value = env.FTP_CLUSTER_SCRAPE_INTERVAL || CLUSTER_DEFAULTS.scrapeInterval;
  if (!/^[1-9]\d*(ms|s|m)$/.test(value))
    throw new ClusterSettingError(
      `FTP_CLUSTER_SCRAPE_INTERVAL must be a duration such as "15s" or "1m", got "${value}"`,
    );
  return value;
}

function workerMetrics(env: NodeJS.ProcessEnv): string[] {
  const raw = env.FTP_CLUSTER_WORKER_METRICS ?? CLUSTER_DEFAULTS.workerMetrics;
  const targets = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const bad = targets.find((t) => !/^[\w.-]+:\d{1,5}$/.test(t));
  if (bad)
    throw new ClusterSettingError(
      `FTP_CLUSTER_WORKER_METRICS must list host:port pairs separated by commas (each worker's WORKER_METRICS_ADDRESS), got "${bad}"`,
    );
  return targets;
}

/** The environment the server process needs to render cluster.yaml with these settings. */
export function serverEnv(settings: ClusterSettings): Record<string, string> {
  return {
    FTP_CLUSTER_PORT: String(settings.port),
    FTP_CLUSTER_BIND_IP: settings.bindIp,
    FTP_CLUSTER_PG_HOST: '127.0.0.1',
    FTP_CLUSTER_PG_PORT: String(settings.pgPort),
    FTP_CLUSTER_PG_USER: settings.pgUser,
    FTP_CLUSTER_PG_PASSWORD: settings.pgPassword,
    FTP_CLUSTER_SHARDS: String(settings.shards),
  };
}

function intSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ClusterSettingError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** The settings a running cluster was started with, so `stop`/`status` and tests find its ports. */
export function stateFile(dir: string): string {
  return path.join(dir, 'cluster.json');
}

export function writeClusterState(settings: ClusterSettings): void {
  fs.mkdirSync(settings.dir, { recursive: true });
  fs.writeFileSync(stateFile(settings.dir), `${JSON.stringify(settings, null, 2)}\n`);
}

/** The recorded settings of the cluster in FTP_CLUSTER_DIR, else those the environment asks for. */
export function clusterSettingsInUse(env: NodeJS.ProcessEnv, repo: string): ClusterSettings {
  const wanted = loadClusterSettings(env, repo);
  try {
    // A cluster recorded before a setting existed runs with that setting's wanted value.
    return {
      ...wanted,
      ...(JSON.parse(fs.readFileSync(stateFile(wanted.dir), 'utf8')) as Partial<ClusterSettings>),
      dir: wanted.dir,
    };
  } catch {
    return wanted;
  }
}

/** host:port of the frontend, as TEMPORAL_ADDRESS. */
export function frontendAddress(settings: ClusterSettings): string {
  return `${settings.bindIp === '0.0.0.0' ? '127.0.0.1' : settings.bindIp}:${settings.port}`;
}
