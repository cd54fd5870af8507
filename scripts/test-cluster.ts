/**
 * `npm run test:cluster [-- --pipelines N] [--faults]`: the product on the cluster `npm run cluster` runs
 * (PostgreSQL persistence and visibility, 16 history shards), in production form — `npm run build`,
 * then three `node dist/src/worker.js` processes with the prebuilt workflow bundle on one task queue.
 * 20 pipelines are started through the starter CLI (`run <file> --no-follow`); half-way one worker is
 * SIGKILLed for good and later another is SIGKILLed and restarted. Checks: every pipeline deploys, the
 * sandbox saw each job and each endpoint created once, `starter list --phase …` answers from
 * PostgreSQL visibility (cross-checked with a query on the visibility database), and a cleanup
 * Schedule fires on the cluster and its run completes; nothing of the run is left training or deployed
 * twice. `--faults` adds, before the worker kills, a SIGKILL of the Temporal server and its restart, a
 * PostgreSQL restart in immediate mode and a worker rolled to a rebuilt bundle. Prints a summary and `N passed, N failed`;
 * exits 1 when a check fails. Not part of `npm test`: it needs the cluster (`npm run cluster`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { failureCause } from '../src/cli/follow';
import { startSandbox, type Sandbox } from '../sandbox/server';
import type { CleanupResult } from '../src/workflows/cleanup/contract';
import type { PipelineResult } from '../src/workflows/pipeline/contract';
import { benchHeader, option, table } from '../bench/report';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { findPostgres, postgresPid, queryValue } from './cluster/postgres';
import { clusterSettingsInUse, frontendAddress } from './cluster/settings';
import { pgPids, ResourceMeter } from './cluster/resources';
import { killAndRestartServer, restartPostgresImmediately, type FaultOutcome } from './cluster/faults';
import { runMetricFigures, type MetricFigure } from './cluster/metric-figures';
import { prometheusPid, writeWorkerTargets } from './cluster/prometheus';
import { serverPid } from './cluster/temporal-server';
import { sleep, waitFor } from './cluster/processes';
import { connectionInterceptors } from '../src/config/grpc-interceptors';

const PIPELINES = Number(option('pipelines') ?? 20);
/** Also kill the server, restart PostgreSQL in immediate mode and roll a worker to a rebuilt bundle. */
const FAULTS = process.argv.includes('--faults');
const WORKERS = 3;
const TAG = `c${Date.now().toString(36)}`;
const PREFIX = `cluster-${TAG}`;
const TASK_QUEUE = `test-cluster-${TAG}`;
const SCHEDULE_ID = `test-cluster-cleanup-${TAG}`;
const KEYS = {
  tensorone: 'cluster-t1-key-8c2d4e6f0a',
  tensormesh: 'cluster-tm-key-1b3d5f7a9c',
  marqtune: 'cluster-mq-key-2c4e6a8b0d',
  hfToken: 'hf_clusterTokenZ9y8X7w6V5',
};
const repo = path.resolve(__dirname, '..');
const say = (line: string) =>
  process.stderr.write(`test:cluster ${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
const checks: Check[] = [];
const check = (name: string, ok: boolean, detail: string) => {
  checks.push({ name, ok, detail });
  say(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
};

async function main(): Promise<number> {
  const started = Date.now();
  const settings = clusterSettingsInUse(process.env, repo);
  const address = frontendAddress(settings);
  const pg = findPostgres(settings, process.env);
  const server = serverPid(settings);
  const postmaster = postgresPid(pg);
  if (!server || !postmaster) {
    say(`the cluster is not running (${address}): start it with \`npm run cluster\``);
    return 1;
  }
  const connection = await Connection.connect({ address, interceptors: connectionInterceptors() });
  const client = new Client({ connection, namespace: settings.namespace });
  const baseEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: settings.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  };

  say('npm run build (compiled JS and dist/workflow-bundle.js)…');
  const build = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) {
    say('npm run build failed');
    return 1;
  }

  const sandbox = await startSandbox({
    epochMs: 500,
    queueMs: 300,
    deployMs: 800,
    seed: 18,
    keys: { tensorone: KEYS.tensorone, tensormesh: KEYS.tensormesh, marqtune: KEYS.marqtune },
  });
  const resources = new ResourceMeter([
    { name: 'Temporal server', pids: () => [serverPid(settings) ?? server], cpu: true },
    {
      name: 'PostgreSQL (all backends, PSS)',
      pids: () => pgPids(postgresPid(pg) ?? postmaster),
      memory: 'pss',
      cpu: true,
    },
  ]);

  // ---- three workers on one task queue, production form ----
  const workerEnv = {
    ...baseEnv,
    WORKER_WORKFLOW_BUNDLE: path.join(repo, 'dist/workflow-bundle.js'),
    TENSORONE_BASE_URL: sandbox.endpoints.tensorone.baseURL,
    TENSORONE_API_KEY: KEYS.tensorone,
    TENSORMESH_BASE_URL: sandbox.endpoints.tensormesh.baseURL,
    TENSORMESH_API_KEY: KEYS.tensormesh,
    TENSORMESH_HF_TOKEN: KEYS.hfToken,
    MARQTUNE_BASE_URL: sandbox.endpoints.marqtune.baseURL,
    MARQTUNE_API_KEY: KEYS.marqtune,
    LOG_LEVEL: 'WARN',
  };
  const metricsPorts = Array.from(
    { length: WORKERS },
    (_, i) => 19800 + Math.floor(Math.random() * 150) * 4 + i,
  );
  const workers: Worker[] = metricsPorts.map((port, i) => new Worker(`worker-${i + 1}`, workerEnv, port));
  await Promise.all(workers.map((w) => w.start()));
  // The cluster's Prometheus scrapes these workers for the run (file-based discovery, read on change).
  const prometheus = settings.prometheusPort && prometheusPid(settings) ? settings : undefined;
  if (prometheus)
    writeWorkerTargets(
      prometheus,
      metricsPorts.map((p) => `127.0.0.1:${p}`),
    );
  // A worker is restarted on purpose, so its CPU time is not measured (a restart starts it again).
  for (const w of workers) resources.add({ name: `${w.name} (peak)`, pids: () => (w.pid ? [w.pid] : []) });
  say(`${WORKERS} workers polling ${TASK_QUEUE} on ${address}/${settings.namespace}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-cluster-'));
  const cli = (args: string[]) => runCli(args, baseEnv);
  try {
    // ---- a cleanup Schedule, every minute, for this run's jobs only ----
    const scheduled = await cli([
      'schedule',
      'cleanup',
      'create',
      '--id',
      SCHEDULE_ID,
      '--every',
      '1m',
      '--keep',
      '1',
      '--status',
      'completed',
      '--name-prefix',
      `pipeline-${PREFIX}`,
    ]);
    check(
      'cleanup schedule created through the CLI',
      scheduled.code === 0,
      scheduled.out.trim() || scheduled.err.trim(),
    );

    // ---- 20 pipelines through the CLI; the kills run alongside ----
    const names = Array.from({ length: PIPELINES }, (_, i) => `${PREFIX}-${String(i + 1).padStart(2, '0')}`);
    let faults: FaultOutcome[] = [];
    const chaos = (
      FAULTS
        ? runClusterFaults(client, settings, pg, sandbox, workers).then((f) => {
            faults = f;
          })
        : Promise.resolve()
    ).then(() => runKills(sandbox, workers, cli));
    const startCodes = await inParallel(names, 4, async (name, i) => {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(pipelineFor(name, i)));
      const r = await cli(['run', file, '--no-follow']);
      if (r.code !== 0) say(`starter run ${name}: exit ${r.code} ${r.err.trim()}`);
      return r.code;
    });
    check(
      `${PIPELINES} pipelines started through \`starter run <file> --no-follow\``,
      startCodes.every((c) => c === 0),
      `exit codes ${summarize(startCodes.map(String))}`,
    );

    // ---- every pipeline deploys ----
    const results = await Promise.all(
      names.map(async (name) => {
        const handle = client.workflow.getHandle(`pipeline-${name}`);
        return Promise.race([
          handle.result().then(
            (r: PipelineResult) => r,
            (err: unknown) => `failed (${failureCause(err)})`,
          ),
          sleep(12 * 60_000).then(() => 'unfinished after 12 min'),
        ]);
      }),
    );
    const outcomes = results.map((r) => (typeof r === 'string' ? r : r.outcome));
    const allDoneAt = Date.now();
    const killed = await chaos;
    check(
      'a worker SIGKILLed for good half-way, another SIGKILLed and restarted',
      killed.forGood !== undefined && killed.restarted !== undefined,
      `${killed.forGood ?? 'none'} killed at ${killed.forGoodAt ?? '-'}; ${killed.restarted ?? 'none'} killed and restarted at ${killed.restartedAt ?? '-'}`,
    );
    await Promise.all(workers.map((w) => w.refreshWork()));
    check(
      'all three workers ran workflow tasks and activities',
      workers.every((w) => w.work.workflowTasks > 0 && w.work.activities > 0),
      workers
        .map((w) => `${w.name} ${w.work.workflowTasks} workflow tasks + ${w.work.activities} activities`)
        .join('; '),
    );
    check(
      `every pipeline deploys (${PIPELINES})`,
      outcomes.every((o) => o === 'deployed'),
      summarize(outcomes),
    );
    check(
      'mid-run `starter list --phase training` answers with running pipelines of this run',
      killed.midRunListed > 0,
      `${killed.midRunListed} listed`,
    );

    // ---- no duplicate job or endpoint, counted at the sandbox ----
    const dup = sandbox.state.duplicates();
    const created = sandbox.state.creations;
    const ours = (kind: keyof typeof created) =>
      Object.keys(created[kind]).filter((n) => n.includes(PREFIX)).length;
    const endpoints = ours('endpoints') + ours('deployments') + ours('meshModels');
    check(
      'no duplicate job or endpoint',
      !dup.jobs.length && !dup.endpoints.length && !dup.deployments.length && !dup.meshModels.length,
      `jobs created ${ours('jobs')} (duplicates ${dup.jobs.length}), endpoints/deployments/models created ${endpoints} (duplicates ${dup.endpoints.length + dup.deployments.length + dup.meshModels.length})`,
    );
    // ---- nothing billed left behind: every job of this run ended, one deployment per pipeline ----
    const ourJobs = [...sandbox.state.jobs.values()].filter((j) => j.name.includes(PREFIX));
    const stillBilled = ourJobs.filter((j) =>
      ['pending', 'running'].includes(sandbox.state.advance(j).status),
    );
    const serving =
      [...sandbox.state.endpoints.values()].filter((e) => e.name.includes(PREFIX)).length +
      [...sandbox.state.meshModels.values()].filter((m) => m.modelName.includes(PREFIX)).length;
    check(
      'nothing orphaned: no job of this run still training, one deployment left per pipeline',
      stillBilled.length === 0 && serving === PIPELINES,
      `jobs still pending or running: ${stillBilled.length}; endpoints and TensorMesh models of this run: ${serving} for ${PIPELINES} pipelines`,
    );
    if (FAULTS)
      check(
        'the cluster came back from each fault',
        faults.length === 3 && faults.every((f) => Number.isFinite(f.unavailableSeconds)),
        faults.map((f) => `${f.fault} at ${f.at}: ${f.unavailableSeconds} s unavailable`).join('; ') ||
          'no fault ran',
      );
    check(
      'one training job per pipeline',
      ours('jobs') === PIPELINES,
      `${ours('jobs')} jobs for ${PIPELINES} pipelines`,
    );

    // ---- `starter list --phase completed` from PostgreSQL visibility ----
    const pgCount = () =>
      Number(
        queryValue(
          pg,
          settings,
          'temporal_visibility',
          `SELECT count(*) FROM executions_visibility WHERE workflow_id LIKE 'pipeline-${PREFIX}-%' AND workflow_type_name = 'fineTuneToDeploy' AND EXISTS (SELECT 1 FROM jsonb_each_text(search_attributes) WHERE value = 'completed')`,
        ),
      );
    let listed: string[] = [];
    let inPostgres = 0;
    await waitFor(
      async () => {
        const r = await cli(['list', '--phase', 'completed', '--limit', '1000', '--json']);
        listed =
          r.code === 0
            ? (JSON.parse(r.out) as { workflowId: string }[])
                .map((w) => w.workflowId)
                .filter((id) => id.includes(PREFIX))
            : [];
        inPostgres = pgCount();
        return listed.length === PIPELINES && inPostgres === PIPELINES ? true : undefined;
      },
      30_000,
      2000,
    );
    check(
      '`starter list --phase completed` lists every pipeline, as PostgreSQL visibility holds them',
      listed.length === PIPELINES && inPostgres === PIPELINES,
      `CLI listed ${listed.length}; rows in temporal_visibility.executions_visibility with phase completed: ${inPostgres}`,
    );

    // ---- the cleanup Schedule fires on the cluster and its run completes ----
    const schedule = client.schedule.getHandle(SCHEDULE_ID);
    // Every firing's run must complete; one fired after every pipeline ended, so by then the
    // pipelines that left their cleanup to the schedule keep only what retention protects.
    let firings = 0;
    const afterEnd = await waitFor(
      async () => {
        const d = await schedule.describe();
        firings = d.info.numActionsTaken;
        return d.info.recentActions.find((a) => a.takenAt.getTime() >= allDoneAt);
      },
      150_000,
      2000,
    );
    const runs = (await schedule.describe()).info.recentActions.filter(
      (a) => !afterEnd || a.takenAt <= afterEnd.takenAt,
    );
    const runResults = await Promise.all(
      runs.map((a) =>
        Promise.race([
          client.workflow
            .getHandle(a.action.workflow.workflowId)
            .result()
            .then(
              (r: CleanupResult) => r,
              (err: unknown) => `failed (${failureCause(err)})`,
            ),
          sleep(120_000).then(() => 'unfinished after 2 min'),
        ]),
      ),
    );
    const completedRuns = runResults.filter((r): r is CleanupResult => typeof r === 'object');
    const deletedBySchedule = completedRuns.reduce((n, r) => n + r.deletedCount, 0);
    // Jobs whose pipeline had cleanup off: every automatic checkpoint but the newest (keep 1) and the
    // deployed one must be gone.
    // Best, final and the deployed checkpoint of every job must survive both cleanups.
    let oldLeft = 0;
    let protectedGone = 0;
    results.forEach((r, i) => {
      if (typeof r === 'string' || !r.jobId) return;
      const left = sandbox.state.jobCheckpoints(r.jobId);
      for (const kept of ['best', 'final']) if (!left.some((c) => c.type === kept)) protectedGone += 1;
      if (!left.some((c) => c.id === r.checkpoint?.checkpointId)) protectedGone += 1;
      if (i % 2 === 0) return;
      const automatic = left.filter((c) => c.type === 'automatic' && c.id !== r.checkpoint?.checkpointId);
      oldLeft += Math.max(0, automatic.length - 1);
    });
    check(
      'the cleanup Schedule fires on the cluster; its runs delete the checkpoints pipelines left to it',
      !!afterEnd &&
        completedRuns.length === runs.length &&
        deletedBySchedule > 0 &&
        oldLeft === 0 &&
        protectedGone === 0,
      `${firings} firings (every minute), ${completedRuns.length} of ${runs.length} runs completed${afterEnd ? `, the last at ${afterEnd.takenAt.toISOString().slice(11, 19)} after every pipeline ended` : ', none after every pipeline ended (waited 150 s)'}; deleted ${deletedBySchedule} checkpoints; old checkpoints left on the ${Math.floor(PIPELINES / 2)} jobs without pipeline cleanup: ${oldLeft}; best/final/deployed checkpoints deleted: ${protectedGone}`,
    );
    await schedule.delete().catch(() => undefined);

    // ---- the domain metrics, as the cluster's Prometheus stored them ----
    let figures: MetricFigure[] = [];
    if (prometheus) {
      await sleep(2 * 15_000); // two scrapes past the last change
      figures = await runMetricFigures(prometheus, (Date.now() - started) / 1000);
      const deployed = figures
        .filter((f) => f.figure === 'pipelines ended' && f.labels.includes('outcome=deployed'))
        .reduce((n, f) => n + f.value, 0);
      check(
        "Prometheus (npm run cluster's) scraped the workers: pipelines ended deployed, as the metrics say",
        deployed > 0 && deployed <= PIPELINES,
        `${deployed} of ${PIPELINES} (each series' highest value over the run: a restarted worker's smaller life and what a killed worker did after its last scrape are not counted)`,
      );
    } else
      say('no Prometheus with the cluster (FTP_CLUSTER_PROMETHEUS_PORT=0 or not running): metrics not read');

    // ---- summary ----
    const usage = resources.stop();
    process.stdout.write(
      `\n${benchHeader(`test:cluster: ${PIPELINES} pipelines, ${WORKERS} workers, one killed for good and one restarted${FAULTS ? '; the server SIGKILLed, PostgreSQL restarted, a worker rolled' : ''}`)}\n` +
        `cluster: ${address} namespace ${settings.namespace}, ${settings.shards} history shards, PostgreSQL 127.0.0.1:${settings.pgPort}; task queue ${TASK_QUEUE}\n\n` +
        table(
          ['check', 'result', 'detail'],
          checks.map((c) => [c.name, c.ok ? 'pass' : 'FAIL', c.detail]),
        ) +
        '\n\n' +
        table(
          ['process', 'memory peak MiB (RSS; PostgreSQL: PSS)', 'CPU s over the run'],
          usage.map((u) => [u.name, Math.round(u.memoryPeakMiB), u.cpuSeconds ?? '-']),
        ) +
        (figures.length
          ? `\n\ndomain metrics in Prometheus over the run:\n${table(
              ['figure', 'labels', 'value'],
              figures.map((f) => [f.figure, f.labels || '-', f.value]),
            )}`
          : '') +
        `\n\nseconds: ${Math.round((Date.now() - started) / 1000)}\n`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await sandbox.close();
    await connection.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(`${checks.length - failed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

/** Half the pipelines' epochs on each provider, small and quick: the cluster is under test, not the providers. */
function pipelineFor(name: string, i: number) {
  return pipelineInput(name, {
    train: tensoroneTrain({ config: { training: { epochs: 5 } } }),
    supervision: {
      freshness: '2s',
      minInterval: '500ms',
      stallAfter: '60s',
      resumeBudget: 2,
      unknownStatusGrace: '60s',
    },
    deploy:
      i % 2
        ? { target: 'tensormesh', userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', timeout: '3m' }
        : { target: 'tensorone-endpoint', timeout: '3m' },
    // Every other pipeline leaves its old checkpoints to the scheduled cleanup.
    cleanup: { enabled: i % 2 === 0, retention: { keepLastN: 1 } },
  });
}

/**
 * Before the worker kills: once a few jobs exist, SIGKILL the server and start it again; once a
 * deployment exists, restart PostgreSQL in immediate mode; then rebuild the bundle and roll the third
 * worker to it (SIGTERM: it drains, then starts on the new build).
 */
async function runClusterFaults(
  client: Client,
  settings: ReturnType<typeof clusterSettingsInUse>,
  pg: ReturnType<typeof findPostgres>,
  sandbox: Sandbox,
  workers: Worker[],
): Promise<FaultOutcome[]> {
  const progress = () => {
    const jobs = Object.keys(sandbox.state.creations.jobs).filter((n) => n.includes(PREFIX)).length;
    const deploys = (['endpoints', 'deployments', 'meshModels'] as const).reduce(
      (n, k) => n + Object.keys(sandbox.state.creations[k]).filter((x) => x.includes(PREFIX)).length,
      0,
    );
    return { jobs, deploys, text: `${jobs} of ${PIPELINES} jobs created, ${deploys} deployments` };
  };
  const outcomes: FaultOutcome[] = [];
  await waitFor(() => (progress().jobs >= 3 ? true : undefined), 5 * 60_000, 250);
  outcomes.push(await killAndRestartServer(client, settings, repo, progress().text, say));
  await waitFor(() => (progress().deploys >= 1 ? true : undefined), 5 * 60_000, 250);
  outcomes.push(await restartPostgresImmediately(client, pg, settings, progress().text, say));
  const at = progress().text;
  const rebuilt = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'ignore' });
  if (rebuilt.status !== 0) throw new Error('npm run build failed while rolling a worker');
  const rolled = workers[2];
  const since = Date.now();
  await rolled.stop();
  await rolled.start();
  say(`rolled ${rolled.name} to the rebuilt bundle: ${at}`);
  outcomes.push({
    fault: `${rolled.name} rolled to a rebuilt bundle (SIGTERM, start)`,
    at,
    unavailableSeconds: Math.round((Date.now() - since) / 100) / 10,
  });
  return outcomes;
}

interface KillReport {
  forGood?: string;
  forGoodAt?: string;
  restarted?: string;
  restartedAt?: string;
  midRunListed: number;
}

/**
 * Half-way (half the training jobs created): SIGKILL worker 1 for good, right after checking every
 * worker has run work; then `starter list --phase training` must see this run's pipelines. Once the two
 * workers left have made three more deployments (at least 5 s later): SIGKILL worker 2 and start it again.
 */
async function runKills(
  sandbox: Sandbox,
  workers: Worker[],
  cli: (args: string[]) => Promise<CliResult>,
): Promise<KillReport> {
  const report: KillReport = { midRunListed: 0 };
  const jobs = () => Object.keys(sandbox.state.creations.jobs).filter((n) => n.includes(PREFIX)).length;
  const deploys = () =>
    (['endpoints', 'deployments', 'meshModels'] as const).reduce(
      (n, k) => n + Object.keys(sandbox.state.creations[k]).filter((x) => x.includes(PREFIX)).length,
      0,
    );
  const deadline = Date.now() + 8 * 60_000;
  await waitFor(() => (jobs() >= PIPELINES / 2 || Date.now() > deadline ? true : undefined), 9 * 60_000, 250);
  const [gone, bounced] = workers;
  await gone.kill();
  report.forGood = gone.name;
  report.forGoodAt = `${jobs()} of ${PIPELINES} jobs created, ${deploys()} deployments`;
  say(`SIGKILL ${gone.name} (for good): ${report.forGoodAt}`);

  // Visibility answers while a worker is gone: this run's pipelines that are training now.
  await waitFor(
    async () => {
      const r = await cli(['list', '--phase', 'training', '--limit', '1000', '--json']);
      if (r.code !== 0) return undefined;
      const ours = (JSON.parse(r.out) as { workflowId: string }[]).filter((w) =>
        w.workflowId.includes(PREFIX),
      );
      report.midRunListed = ours.length;
      return ours.length ? true : undefined;
    },
    15_000,
    1000,
  );

  // Later, at another moment of the run: a few more deployments made by the two workers left.
  const deploysAtFirstKill = deploys();
  const until = Date.now() + 90_000;
  await sleep(5000);
  await waitFor(
    () => (deploys() >= deploysAtFirstKill + 3 || Date.now() > until ? true : undefined),
    91_000,
    250,
  );
  await bounced.kill();
  report.restartedAt = `${jobs()} of ${PIPELINES} jobs created, ${deploys()} deployments`;
  say(`SIGKILL ${bounced.name}, restarting it: ${report.restartedAt}`);
  await sleep(2000);
  await bounced.start();
  report.restarted = bounced.name;
  return report;
}

/** One worker process: `node dist/src/worker.js`, its Prometheus metrics on a port of its own. */
class Worker {
  child?: ChildProcess;
  private readonly log: string[] = [];
  constructor(
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly metricsPort: number,
  ) {}

  start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/src/worker.js'], {
      cwd: repo,
      env: { ...this.env, WORKER_METRICS_ADDRESS: `127.0.0.1:${this.metricsPort}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} did not start polling in 90 s: ${this.tail()}`)),
        90_000,
      );
      const onData = (d: Buffer) => {
        this.log.push(d.toString());
        if (this.log.length > 200) this.log.shift();
        if (d.toString().includes('worker polling')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before polling: ${this.tail()}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child && this.child.exitCode === null ? this.child.pid : undefined;
  }

  private pastLives = { workflowTasks: 0, activities: 0 };
  private thisLife = { workflowTasks: 0, activities: 0 };

  /** Reads the workflow tasks and activities this process has completed from its Prometheus metrics. */
  async refreshWork(): Promise<void> {
    if (!this.pid) return;
    try {
      const text = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
      const total = (metric: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith(metric))
          .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
      this.thisLife = {
        workflowTasks: total('temporal_workflow_task_execution_latency_count'),
        activities: total('temporal_activity_execution_latency_count'),
      };
    } catch {
      /* between lives: the last reading stands */
    }
  }

  /** Everything completed over all its lives (a restart starts the counters again). */
  get work(): { workflowTasks: number; activities: number } {
    return {
      workflowTasks: this.pastLives.workflowTasks + this.thisLife.workflowTasks,
      activities: this.pastLives.activities + this.thisLife.activities,
    };
  }

  /** SIGKILL, after a last reading of its metrics. */
  async kill(): Promise<void> {
    await this.refreshWork();
    this.pastLives = this.work;
    this.thisLife = { workflowTasks: 0, activities: 0 };
    this.child?.removeAllListeners('exit');
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await this.refreshWork();
    this.pastLives = this.work;
    this.thisLife = { workflowTasks: 0, activities: 0 };
    child.removeAllListeners('exit');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private tail(): string {
    return this.log.join('').trim().split('\n').slice(-3).join(' | ');
  }
}

interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** The starter CLI as an operator runs it in production: `node dist/src/starter.js …`. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['dist/src/starter.js', ...args], { cwd: repo, env });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

function summarize(values: string[]): string {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return Object.entries(counts)
    .map(([v, n]) => `${v} ×${n}`)
    .join(', ');
}

async function inParallel<T, R>(
  items: T[],
  width: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test:cluster: ${(err as Error).stack ?? String(err)}\n`);
    process.stdout.write(
      `${checks.filter((c) => c.ok).length} passed, ${checks.filter((c) => !c.ok).length + 1} failed\n`,
    );
    process.exit(1);
  },
);
