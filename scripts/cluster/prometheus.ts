import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError } from '../../engine/errors';
import { ensureDebianTool } from '../debian-package';
import { isAlive, lastErrorLine, livePidFromFile, portAnswers, terminate, waitFor } from './processes';
import { serverPorts, type ClusterSettings } from './settings';

/** The alerting and recording rules Prometheus loads, the same file `promtool test rules` tests. */
export const RULES_FILE = 'ops/prometheus/rules.yml';

export function prometheusFiles(settings: ClusterSettings) {
  const dir = path.join(settings.dir, 'prometheus');
  return {
    dir,
    config: path.join(dir, 'prometheus.yml'),
    /** Worker targets (file-based discovery): rewritten by whoever starts workers; read on change. */
    workers: path.join(dir, 'workers.json'),
    data: path.join(dir, 'data'),
    pid: path.join(dir, 'prometheus.pid'),
    log: path.join(dir, 'prometheus.log'),
  };
}

export const prometheusUrl = (settings: ClusterSettings) => `http://127.0.0.1:${settings.prometheusPort}`;

/**
 * The scrape config: the Temporal server's own metrics and every worker listed in workers.json, with
 * the project's rules loaded. Regenerated on each start so it follows the settings.
 */
export function prometheusConfig(settings: ClusterSettings, repo: string): string {
  const files = prometheusFiles(settings);
  const serverMetrics = `127.0.0.1:${serverPorts(settings.port)['server metrics']}`;
  return [
    '# Written by `npm run cluster` on each start; edit FTP_CLUSTER_* settings instead.',
    'global:',
    `  scrape_interval: ${settings.scrapeInterval}`,
    `  evaluation_interval: ${settings.scrapeInterval}`,
    'rule_files:',
    `  - ${JSON.stringify(path.join(repo, RULES_FILE))}`,
    'scrape_configs:',
    '  - job_name: temporal-server',
    '    static_configs:',
    `      - targets: [${JSON.stringify(serverMetrics)}]`,
    '  - job_name: finetune-pipelines-worker',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(files.workers)}]`,
    '        refresh_interval: 30s',
    '',
  ].join('\n');
}

/** Writes the worker targets Prometheus scrapes (host:port of each WORKER_METRICS_ADDRESS). */
export function writeWorkerTargets(settings: ClusterSettings, targets: string[]): void {
  const files = prometheusFiles(settings);
  fs.mkdirSync(files.dir, { recursive: true });
  const tmp = `${files.workers}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify([{ targets, labels: {} }], null, 2)}\n`);
  fs.renameSync(tmp, files.workers); // atomic: Prometheus never reads half a file
}

export function prometheusPid(settings: ClusterSettings): number | undefined {
  return livePidFromFile(prometheusFiles(settings).pid, 'prometheus');
}

/**
 * Starts Prometheus (Debian's package, installed when missing) bound to 127.0.0.1, detached, its data
 * and log in the cluster directory; waits until it answers ready. Worker targets already written are
 * kept; a first start lists the workers of FTP_CLUSTER_WORKER_METRICS.
 */
export async function startPrometheus(
  settings: ClusterSettings,
  repo: string,
  say: (line: string) => void,
): Promise<number> {
  const binary = ensureDebianTool(['prometheus'], 'prometheus', say);
  const files = prometheusFiles(settings);
  fs.mkdirSync(files.data, { recursive: true });
  fs.writeFileSync(files.config, prometheusConfig(settings, repo));
  if (!fs.existsSync(files.workers)) writeWorkerTargets(settings, settings.workerMetrics);
  const out = fs.openSync(files.log, 'a');
  const child = spawn(
    binary,
    [
      `--config.file=${files.config}`,
      `--storage.tsdb.path=${files.data}`,
      `--storage.tsdb.retention.time=${settings.retentionDays}d`,
      `--web.listen-address=127.0.0.1:${settings.prometheusPort}`,
    ],
    { cwd: files.dir, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  const pid = child.pid!;
  child.unref();
  fs.writeFileSync(files.pid, `${pid}\n`);
  const ready = await waitFor(async () => {
    if (!isAlive(pid)) return false;
    if (!(await portAnswers(settings.prometheusPort))) return undefined;
    const answer = await fetch(`${prometheusUrl(settings)}/-/ready`).catch(() => undefined);
    return answer?.ok ? true : undefined;
  }, 60_000);
  if (ready !== true) {
    if (isAlive(pid)) await terminate(pid, 5000);
    fs.rmSync(files.pid, { force: true });
    throw new EngineProvisionError(
      `Prometheus did not come up on 127.0.0.1:${settings.prometheusPort}: ${lastErrorLine(files.log) ?? 'no log line'} (log: ${files.log})`,
    );
  }
  return pid;
}

export async function stopPrometheus(
  settings: ClusterSettings,
): Promise<'stopped' | 'killed' | 'not running'> {
  const pid = prometheusPid(settings);
  const outcome = pid ? await terminate(pid, 15_000) : 'not running';
  fs.rmSync(prometheusFiles(settings).pid, { force: true });
  return outcome;
}

/** One instant query's samples (label set and value), from Prometheus' HTTP API. */
export async function queryPrometheus(
  settings: ClusterSettings,
  expr: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const answer = await fetch(`${prometheusUrl(settings)}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await answer.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus query ${expr}: ${body.error ?? answer.status}`);
  return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
