/**
 * `npm run cluster [-- start|stop|status|reset]`: a production-shaped Temporal cluster on this machine —
 * the Temporal server (built with `go install`, cached by version beside the other engines) on
 * PostgreSQL (Debian's packages, data in .data/cluster/), persistence and visibility schemas set up
 * with the server's own SQL tool, 16 history shards, namespace `default` with the workflows' search
 * attributes, and Prometheus scraping the server and the workers with ops/prometheus/rules.yml loaded.
 * Configured by cluster/config/cluster.yaml and FTP_CLUSTER_* variables (docs/operations.md,
 * "A production-shaped cluster on one machine"). Every command is safe to repeat. Exit codes: 0 done (status: running), 1 failed,
 * 2 bad setting, 3 status: not running.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError, engineCacheRoot } from '../engine';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { ensureClusterBinaries, TEMPORAL_SERVER_VERSION } from './cluster/binaries';
import { ensureNamespace } from './cluster/namespace';
import { findPostgres, initPostgres, postgresPid, startPostgres, stopPostgres } from './cluster/postgres';
import {
  prometheusFiles,
  prometheusPid,
  prometheusUrl,
  RULES_FILE,
  startPrometheus,
  stopPrometheus,
} from './cluster/prometheus';
import { boundPorts, isAlive, portAnswers } from './cluster/processes';
import {
  ClusterSettingError,
  clusterSettingsInUse,
  frontendAddress,
  loadClusterSettings,
  serverPorts,
  stateFile,
  writeClusterState,
  type ClusterSettings,
} from './cluster/settings';
import {
  recordedShards,
  serverFiles,
  serverPid,
  setupSchemas,
  startServer,
  stopServer,
} from './cluster/temporal-server';

const repo = path.resolve(__dirname, '..');
const say = (line: string) => process.stderr.write(`${line}\n`);
/** A path as the user would type it: relative inside the working directory, absolute outside it. */
const rel = (p: string) => {
  const relative = path.relative(process.cwd(), p);
  return relative.startsWith('..') ? p : relative || '.';
};

async function start(): Promise<number> {
  // Whatever already runs keeps the ports it was started with; a stopped cluster takes the environment's.
  const recorded = clusterSettingsInUse(process.env, repo);
  const alreadyUp = serverPid(recorded) || postgresPid(findPostgres(recorded, process.env));
  const settings = alreadyUp ? recorded : loadClusterSettings(process.env, repo);
  const pg = findPostgres(settings, process.env);
  const binaries = await ensureClusterBinaries(engineCacheRoot(), say);
  fs.mkdirSync(settings.dir, { recursive: true });

  if (initPostgres(pg, settings)) say(`initialized PostgreSQL data directory ${rel(pg.dataDir)}`);
  let pgPid = postgresPid(pg);
  if (!pgPid) {
    if (await portAnswers(settings.pgPort))
      throw new ClusterSettingError(
        `port ${settings.pgPort} is taken by another program: set FTP_CLUSTER_PG_PORT to a free port`,
      );
    startPostgres(pg, settings);
    pgPid = postgresPid(pg);
    say(`PostgreSQL started on 127.0.0.1:${settings.pgPort} (pid ${pgPid})`);
  }
  setupSchemas(binaries, pg, settings, say);
  const shards = recordedShards(pg, settings);
  if (shards !== undefined && shards !== settings.shards)
    throw new ClusterSettingError(
      `the database was set up with ${shards} history shards and the count cannot change: unset FTP_CLUSTER_SHARDS (or set it to ${shards}), or start over with \`npm run cluster -- reset\``,
    );

  let pid = serverPid(settings);
  if (!pid) {
    const taken = await boundPorts(
      serverPorts(settings.port),
      settings.bindIp === '0.0.0.0' ? '127.0.0.1' : settings.bindIp,
    );
    if (taken.length)
      throw new ClusterSettingError(
        `port ${taken.join(', ')} is taken by another program: set FTP_CLUSTER_PORT (the server uses it and the nine after it)`,
      );
    writeClusterState(settings);
    say(`starting Temporal server v${TEMPORAL_SERVER_VERSION} (${settings.shards} history shards)…`);
    pid = await startServer(binaries, settings, repo);
  }
  await ensureNamespace(frontendAddress(settings), settings, say);
  if (settings.prometheusPort && !prometheusPid(settings)) {
    if (await portAnswers(settings.prometheusPort))
      throw new ClusterSettingError(
        `port ${settings.prometheusPort} is taken by another program: set FTP_CLUSTER_PROMETHEUS_PORT to a free port (0: no Prometheus)`,
      );
    await startPrometheus(settings, repo, say);
  }
  printStatus(settings, pid, pgPid);
  say(
    `\nworkers and CLI: TEMPORAL_ADDRESS=${frontendAddress(settings)} TEMPORAL_NAMESPACE=${settings.namespace}\nstop: npm run cluster -- stop`,
  );
  return 0;
}

async function stop(): Promise<number> {
  const settings = clusterSettingsInUse(process.env, repo);
  say(`Prometheus: ${await stopPrometheus(settings)}`);
  const server = await stopServer(settings);
  say(`Temporal server: ${server}`);
  const pg = findPostgres(settings, process.env);
  if (postgresPid(pg)) {
    stopPostgres(pg);
    say('PostgreSQL: stopped');
  } else say('PostgreSQL: not running');
  const host = settings.bindIp === '0.0.0.0' ? '127.0.0.1' : settings.bindIp;
  const ports: Record<string, number> = { ...serverPorts(settings.port), PostgreSQL: settings.pgPort };
  if (settings.prometheusPort) ports.Prometheus = settings.prometheusPort;
  const still = await boundPorts(ports, host);
  if (still.length) {
    say(`cluster: stopped, but port ${still.join(', ')} is still bound by another process`);
    return 1;
  }
  say('cluster: stopped (no process left, no port bound)');
  return 0;
}

async function status(): Promise<number> {
  const settings = clusterSettingsInUse(process.env, repo);
  const pid = serverPid(settings);
  const pgPid = postgresPid(findPostgres(settings, process.env));
  printStatus(settings, pid, pgPid);
  return pid && pgPid ? 0 : 3;
}

/** Stops the cluster and deletes its data (workflows, histories, the PostgreSQL data directory). */
async function reset(): Promise<number> {
  const code = await stop();
  if (code !== 0) return code;
  const settings = clusterSettingsInUse(process.env, repo);
  fs.rmSync(settings.dir, { recursive: true, force: true });
  say(`deleted ${rel(settings.dir)}`);
  return 0;
}

function printStatus(settings: ClusterSettings, pid: number | undefined, pgPid: number | undefined): void {
  const up = (p: number | undefined) => (p && isAlive(p) ? `running (pid ${p})` : 'stopped');
  const metricsPort = serverPorts(settings.port)['server metrics'];
  const lines = [
    `cluster: ${pid && pgPid ? 'running' : pid || pgPid ? 'partly running' : 'stopped'}`,
    `  Temporal server v${TEMPORAL_SERVER_VERSION}: ${up(pid)} on ${frontendAddress(settings)}, namespace ${settings.namespace}, ${settings.shards} history shards, log ${rel(serverFiles(settings).log)}`,
    `  PostgreSQL: ${up(pgPid)} on 127.0.0.1:${settings.pgPort}, databases temporal + temporal_visibility, data ${rel(path.join(settings.dir, 'postgres'))}`,
    `  search attributes: ${CUSTOM_SEARCH_ATTRIBUTES.map((k) => `${k.name} (${k.type})`).join(', ')}`,
    `  server metrics: http://${frontendAddress(settings).split(':')[0]}:${metricsPort}/metrics`,
    settings.prometheusPort
      ? `  Prometheus: ${up(prometheusPid(settings))} on ${prometheusUrl(settings)}, rules ${RULES_FILE}, worker targets ${rel(prometheusFiles(settings).workers)}`
      : '  Prometheus: not started (FTP_CLUSTER_PROMETHEUS_PORT=0)',
  ];
  if (!fs.existsSync(stateFile(settings.dir))) lines.push('  never started here: npm run cluster');
  say(lines.join('\n'));
}

const commands: Record<string, () => Promise<number>> = { start, stop, status, reset };

const name = process.argv[2] ?? 'start';
const command = commands[name];
if (!command) {
  say(`usage: npm run cluster [-- start|stop|status|reset] (got "${name}")`);
  process.exit(2);
}
command().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ClusterSettingError) {
      say(`cluster: ${err.message}`);
      process.exit(2);
    }
    say(
      `cluster: ${err instanceof EngineProvisionError ? err.message : String((err as Error)?.stack ?? err)}`,
    );
    process.exit(1);
  },
);
