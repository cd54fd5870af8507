/**
 * Scale: N concurrent `superviseTrainingJob` workflows on one or more worker processes (the real
 * `src/worker.ts`, compiled, with the prebuilt bundle, configured by environment as in production)
 * against the tuned dev server or, with `--cluster`, the cluster `npm run cluster` runs (PostgreSQL,
 * 16 history shards, as shipped). Sandbox jobs last three days on a 60× clock, so every look sees new
 * epochs. The poll interval is held at the freshness (5 minutes) so every supervision is in its steady
 * state from its first look; reports every 10 minutes (the product default is 30).
 *
 * Per N: start N workflows on a task queue of this run's own, let the start burst settle, then measure
 * for a window one report interval and a minute long: each worker's RSS (peak) and CPU, workflow task
 * schedule-to-start p50/p99 (exact, from a sample of histories), the sticky-cache hit rate, the share
 * of workflows that looked at their job within the window and the provider requests of all processes.
 * Looks: "seconds between looks" is, per job, the time between two sweeps of the job list (or reads of
 * the job) by the same worker process — a look reads its own process's sweep, and a tap in front of
 * the sandbox per worker tells the processes apart. With one worker that is how fresh each job's view
 * is; with several it is an upper bound (a process sweeps only when one of its looks finds its sweep
 * older than the window, so a long gap can mean no look came to it meanwhile). What says whether looks
 * are on time with any number of workers: looks per job per freshness (attempts of the watch) and the
 * share of the workflow queue's activity tasks (nearly all looks) that began at most 1 s after due.
 * On the cluster also the Temporal server's RSS and PostgreSQL's PSS and both CPUs over the window;
 * at the end the run's workflows are terminated (a batch operation on its task queue).
 * With the fleet's sweep (the default, `--fleet-sweep false` to have each process sweep by itself as
 * before it) every process reads one sweep per window whichever process's tap it went through: the
 * seconds between looks are then counted across processes, and the sweep runs (`jobListSweep`
 * workflows) begun in the window are counted at the server.
 *   npx tsx bench/scale.ts [--quick] [--cluster] [--workers 1] [--n 1000,5000] [--cache 2000] [--heap MiB]
 *                          [--reuse-v8-context false] [--freshness s] [--report-every s] [--window s]
 *                          [--fleet-sweep false]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { startDevServer } from '../engine/dev-server-tuning';
import { startSandbox } from '../sandbox/server';
import { findPostgres, postgresPid } from '../scripts/cluster/postgres';
import { pgPids, ResourceMeter, type GroupUsage, type MeteredGroup } from '../scripts/cluster/resources';
import { clusterSettingsInUse, frontendAddress } from '../scripts/cluster/settings';
import { serverPid } from '../scripts/cluster/temporal-server';
import type { SuperviseInput } from '../src/workflows/supervise/contract';
import { benchHeader, flag, option, percentile, quick, table } from './report';
import { startTap, type Tap, type TappedRequest } from './tap';
import { superviseTrainingJob } from '../src/workflows';

const SIZES = (option('n') ?? (quick ? '300' : '1000,5000,10000')).split(',').map(Number);
const CACHE_SIZES = (option('cache') ?? '').split(',').filter(Boolean).map(Number);
const FRESHNESS_S = Number(option('freshness') ?? (quick ? 20 : 300));
/**
 * 10 minutes: three times the default's report rate (30m), and short enough that every supervision
 * reports inside the window, so the window holds workflow tasks as well as looks.
 */
const REPORT_EVERY_S = Number(option('report-every') ?? FRESHNESS_S * 2);
const WINDOW_S = Number(option('window') ?? REPORT_EVERY_S + 60);
/** V8 heap limit of the worker (MiB), as `--max-old-space-size`; the SDK sizes its default cache from it. */
const HEAP_MIB = option('heap');
/** `--reuse-v8-context false` measures the SDK's other workflow sandbox mode. */
const REUSE_V8_CONTEXT = option('reuse-v8-context') ?? 'true';
/** The cluster of `npm run cluster` (as shipped) instead of a fresh tuned dev server. */
const ON_CLUSTER = flag('cluster');
/** Worker processes polling the same task queue. */
const WORKERS = Number(option('workers') ?? 1);
/** One sweep of the job list per window for all processes (WORKER_FLEET_SWEEP), or one per process. */
const FLEET_SWEEP = option('fleet-sweep') ?? 'true';
if (!['true', 'false'].includes(FLEET_SWEEP)) {
  process.stderr.write(`scale: --fleet-sweep must be true or false, got "${FLEET_SWEEP}"\n`);
  process.exit(2);
}
/** Repeated runs on one cluster must not see each other's workflows: task queue and ids carry it. */
const RUN_TAG = Date.now().toString(36);
const CLOCK_SPEED = 60;
const HISTORY_SAMPLE = 200;
const repo = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const name of ['workers', 'n', 'freshness', 'report-every', 'window', 'cache', 'heap']) {
  const raw = option(name);
  if (raw !== undefined && !raw.split(',').every((v) => /^[1-9]\d*$/.test(v))) {
    process.stderr.write(`scale: --${name} must be a whole number of at least 1, got "${raw}"\n`);
    process.exit(2);
  }
}

/** Something the user sets up before the run (one line, no stack). */
class SetupError extends Error {}

interface Figures {
  n: number;
  cache: number | 'default';
  startSeconds: number;
  /** The highest RSS peak of one worker, and the workers' peaks summed. */
  rssPeakMaxMiB: number;
  rssPeakSumMiB: number;
  rssEndSumMiB: number;
  /** CPU % of each worker over the window (100 = one core). */
  cpuPercentEach: number[];
  s2sP50: number;
  s2sP99: number;
  s2sMax: number;
  lookGapP50: number;
  lookGapP99: number;
  /** Watch attempts (looks) begun in the window per job per freshness, all workers. */
  looksPerJobPerFreshness: number;
  /** Share of those looks that began at most 1 s after they were due (activity schedule-to-start). */
  looksWithinOneSecond: number;
  stickyHitRate: number;
  progressedShare: number;
  tasksPerSecond: number;
  /** Sweeps of the job list begun inside the window, per worker process (whose tap the requests went through). */
  sweepsEach: number[];
  /** `jobListSweep` runs begun inside the window (the fleet's sweep), as the server counts them. */
  sweepRuns: number;
  /** Provider requests inside the window, all routes, all workers. */
  requests: number;
  /**
   * Provider requests of the window counted by whole sweeps: every page of each fleet sweep run whose
   * first request came inside the window (wherever its other pages fell), and the other requests
   * inside it. A run whose pages straddle a window's edge moves the plain count by up to 9 requests.
   */
  requestsWholeSweeps: number;
  /**
   * The sweep windows those runs swept (distinct windows of the running jobs' runs): a 100-second
   * window holds 7 or 8 of 14 s by its phase, one sweep each, so requests per sweep window compare runs.
   */
  sweepWindows: number;
  /** Those requests by what they read: running-list pages, pending-list pages, single jobs, the rest. */
  requestsByKind: Record<RequestKind, number>;
  /** `jobListSweep` runs begun inside the window, by the status they swept. */
  sweepRunsByStatus: { running: number; pending: number };
  callsPerJobHour: number;
  requestsPerSecond: number;
  peakRequestsPerSecond: number;
  /** Every process measured over the window: the workers, and on the cluster the server and PostgreSQL. */
  processes: (GroupUsage & { cpuPercent: number })[];
}

type RequestKind = 'running pages' | 'pending pages' | 'job reads' | 'other';

/** What a provider request reads: where extra requests come from is told by their kind, not their time. */
function requestKind(r: TappedRequest): RequestKind {
  if (r.method === 'GET' && r.path === '/tensorone/v2/training/jobs') {
    if (/[?&]status=running(&|$)/.test(r.search)) return 'running pages';
    if (/[?&]status=pending(&|$)/.test(r.search)) return 'pending pages';
  }
  if (r.method === 'GET' && /^\/tensorone\/v2\/training\/jobs\/[^/]+$/.test(r.path)) return 'job reads';
  return 'other';
}

/** The Temporal server a measurement runs on, and its processes to measure (none for the dev server). */
interface Server {
  env: TestWorkflowEnvironment;
  namespace: string;
  label: string;
  processes: MeteredGroup[];
  close(): Promise<void>;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  if (ON_CLUSTER) runningCluster(); // before the build: a cluster that is down is said at once
  const build = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('npm run build failed');
  const rows: Figures[] = [];
  let serverLabel = '';
  for (const n of SIZES) {
    for (const cache of CACHE_SIZES.length ? CACHE_SIZES : [undefined]) {
      const server = await connectServer();
      serverLabel = server.label;
      try {
        rows.push(await measure(server, n, cache));
      } finally {
        await server.close();
      }
      process.stderr.write(`scale: N=${n} done\n`);
    }
  }
  const workers = `${WORKERS} worker process${WORKERS === 1 ? '' : 'es'}`;
  process.stdout.write(
    `${benchHeader(`Scale: concurrent supervisions on ${workers}, ${serverLabel} (freshness ${FRESHNESS_S} s, reports every ${REPORT_EVERY_S} s, window ${WINDOW_S} s)`)}\n` +
      table(
        [
          'workflows',
          'workers',
          'heap limit MiB',
          'reuseV8Context',
          'sticky cache',
          'start s',
          'worker RSS peak MiB (max of workers)',
          'RSS peaks summed MiB',
          'RSS end summed MiB',
          'worker CPU % (each)',
          'wf tasks/s',
          'wf task schedule-to-start p50 ms',
          'p99 ms',
          'max ms',
          'seconds between looks p50',
          'p99',
          'looks per job per freshness',
          'activities begun ≤ 1 s late (nearly all looks)',
          'sticky hit rate',
          'progressed',
          'fleet sweep',
          'sweeps (each worker)',
          'sweep runs',
          'provider requests',
          'provider requests by whole sweeps',
          'sweep windows',
          'requests per sweep window',
          'running pages / pending pages / job reads / other',
          'sweep runs running / pending',
          'calls per job-hour',
          'requests/s avg',
          'requests/s peak',
        ],
        rows.map((r) => [
          r.n,
          WORKERS,
          HEAP_MIB ?? 'default',
          REUSE_V8_CONTEXT,
          r.cache,
          r.startSeconds,
          r.rssPeakMaxMiB,
          r.rssPeakSumMiB,
          r.rssEndSumMiB,
          r.cpuPercentEach.map((c) => c.toFixed(1)).join(' / '),
          r.tasksPerSecond,
          r.s2sP50,
          r.s2sP99,
          r.s2sMax,
          r.lookGapP50,
          r.lookGapP99,
          r.looksPerJobPerFreshness,
          r.looksWithinOneSecond,
          r.stickyHitRate,
          r.progressedShare,
          FLEET_SWEEP,
          r.sweepsEach.join(' / '),
          r.sweepRuns,
          r.requests,
          r.requestsWholeSweeps,
          r.sweepWindows,
          r.sweepWindows ? r.requestsWholeSweeps / r.sweepWindows : '–',
          Object.values(r.requestsByKind).join(' / '),
          `${r.sweepRunsByStatus.running} / ${r.sweepRunsByStatus.pending}`,
          r.callsPerJobHour,
          r.requestsPerSecond,
          r.peakRequestsPerSecond,
        ]),
      ) +
      '\n\nEvery process over the window (memory: RSS; PostgreSQL: PSS of the postmaster and its backends, so shared buffers count once):\n\n' +
      table(
        ['workflows', 'process', 'memory peak MiB', 'memory end MiB', 'CPU % over the window'],
        rows.flatMap((r) =>
          r.processes.map((p) => [r.n, p.name, p.memoryPeakMiB, p.memoryLastMiB, p.cpuPercent]),
        ),
      ) +
      '\n',
  );
}

/** The cluster `npm run cluster` runs, with its server's and PostgreSQL's pids; refused when it is down. */
function runningCluster() {
  const settings = clusterSettingsInUse(process.env, repo);
  const address = frontendAddress(settings);
  const server = serverPid(settings);
  const postmaster = postgresPid(findPostgres(settings, process.env));
  if (!server || !postmaster)
    throw new SetupError(`the cluster is not running (${address}): start it with \`npm run cluster\``);
  return { settings, address, server, postmaster };
}

/** A fresh tuned dev server, or (`--cluster`) the running cluster with its server and PostgreSQL to measure. */
async function connectServer(): Promise<Server> {
  if (!ON_CLUSTER) {
    const { devServer } = await ensureEngines({ testServer: false });
    const env = await startDevServer(devServer!);
    return {
      env,
      namespace: 'default',
      label: 'dev server (project tuning)',
      processes: [],
      close: () => env.teardown(),
    };
  }
  const { settings, address, server, postmaster } = runningCluster();
  const env = await TestWorkflowEnvironment.createFromExistingServer({
    address,
    namespace: settings.namespace,
  });
  return {
    env,
    namespace: settings.namespace,
    label: `cluster as shipped (${address}, PostgreSQL, ${settings.shards} history shards)`,
    processes: [
      { name: `Temporal server (pid ${server})`, pids: () => [server], cpu: true },
      {
        name: `PostgreSQL (postmaster ${postmaster} and backends)`,
        pids: () => pgPids(postmaster),
        memory: 'pss',
        cpu: true,
      },
    ],
    close: () => env.teardown(),
  };
}

async function measure(server: Server, n: number, cache: number | undefined): Promise<Figures> {
  const { env } = server;
  // The sandbox runs 60× faster than the wall clock: a three-day job moves an epoch a minute.
  const t0 = Date.now();
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  const lookedAt = new Set<string>();
  // Seconds between two looks at the same job by the same worker process, for looks inside the window:
  // how fresh supervision is (a process's looks read its own sweeps).
  const lastLook = new Map<string, number>();
  const lookGaps: number[] = [];
  const sweepGaps: number[] = [];
  const sweepsEach = Array<number>(WORKERS).fill(0);
  /** When each sweep in the window began, and through which process: the gaps behind "seconds between looks". */
  const sweepStarts: number[] = [];
  const sweepStartWorkers: number[] = [];
  const SWEEP = 'sweep';
  const perSecond = new Map<number, number>();
  const requestsByKind: Record<RequestKind, number> = {
    'running pages': 0,
    'pending pages': 0,
    'job reads': 0,
    other: 0,
  };
  /** Each fleet sweep run's requests, by its workflow id, and when the first came. */
  const sweepRunRequests = new Map<string, { firstAtMs: number; count: number }>();
  let otherRequestsInWindow = 0;
  /** Who read single jobs in the window (`workflowId/activityId`): where reads past the sweeps come from. */
  const jobReadOrigins: string[] = [];
  const onRequest = (worker: number, r: TappedRequest) => {
    if (!/^\/(tensorone|tensormesh|marqtune)\//.test(r.path)) return;
    const now = Date.now();
    const sweepRun = r.origin?.startsWith('job-sweep--') ? r.origin.split('/')[0]! : undefined;
    if (sweepRun) {
      const seen = sweepRunRequests.get(sweepRun) ?? { firstAtMs: now, count: 0 };
      seen.count += 1;
      sweepRunRequests.set(sweepRun, seen);
    } else if (now >= windowStart && now < windowEnd) otherRequestsInWindow += 1;
    if (now >= windowStart && now < windowEnd) {
      const second = Math.floor(now / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      requestsByKind[requestKind(r)] += 1;
      if (requestKind(r) === 'job reads') jobReadOrigins.push(r.origin ?? '-');
    }
    if (r.method !== 'GET') return;
    // A sweep of the job list (its first page of running jobs) sees every running job: here all of them.
    const sweep =
      r.path === '/tensorone/v2/training/jobs' &&
      /[?&]status=running(&|$)/.test(r.search) &&
      !/[?&]offset=[1-9]/.test(r.search);
    if (r.path === '/tensorone/v2/training/jobs' && !sweep) return;
    // With the fleet's sweep every process reads every sweep: a job's view is as old as the last sweep
    // or read of it by any process.
    const by = FLEET_SWEEP === 'true' ? 'fleet' : worker;
    const sweepKey = `${by}:${SWEEP}`;
    const key = sweep ? sweepKey : `${by}:${r.path}`;
    const last = Math.max(lastLook.get(key) ?? -1, lastLook.get(sweepKey) ?? -1);
    lastLook.set(key, now);
    if (now < windowStart || now >= windowEnd) return;
    lookedAt.add(sweep ? SWEEP : r.path);
    if (sweep) {
      sweepsEach[worker] += 1;
      sweepStarts.push(now);
      sweepStartWorkers.push(worker);
    }
    if (last < 0) return;
    if (sweep) sweepGaps.push((now - last) / 1000);
    else lookGaps.push((now - last) / 1000);
  };
  const sandbox = await startSandbox({
    epochMs: 3_600_000,
    queueMs: 0,
    seed: 7,
    timeSource: () => t0 + (Date.now() - t0) * CLOCK_SPEED,
  });
  const jobs = Array.from({ length: n }, (_, i) =>
    sandbox.state.createJob({ name: `scale-${i}`, totalEpochs: 72 }),
  );

  const taskQueue = `scale-${RUN_TAG}-${n}${cache ? `-c${cache}` : ''}`;
  const ids = jobs.map((_, i) => `${taskQueue}-${i}`);
  if (ON_CLUSTER)
    process.stderr.write(
      `scale: task queue ${taskQueue}; if this run is cut short, end its workflows with: ${terminateCommand(server, taskQueue)}\n`,
    );
  const taps: Tap[] = [];
  const workers: ChildProcess[] = [];
  const metricsBase = 19400 + Math.floor(Math.random() * 100) * 5;
  const metricsPorts = Array.from({ length: WORKERS }, (_, k) => metricsBase + k);
  try {
    for (let k = 0; k < WORKERS; k++) {
      taps.push(await startTap(sandbox.url, (r) => onRequest(k, r)));
      workers.push(
        spawnWorker(k, env.address, server.namespace, taskQueue, taps[k].url, metricsPorts[k], cache),
      );
    }
    await Promise.all(metricsPorts.map((port) => waitForMetrics(port)));

    const startedAt = Date.now();
    await inParallel(ids, 64, (id, i) => {
      const input: SuperviseInput = {
        provider: 'tensorone',
        jobId: jobs[i].id,
        freshness: `${FRESHNESS_S}s`,
        minInterval: `${FRESHNESS_S}s`,
        reportEvery: `${REPORT_EVERY_S}s`,
        stallAfter: '6h',
        resumeBudget: 0,
        unknownStatusGrace: '1h',
      };
      return env.client.workflow.start(superviseTrainingJob, { args: [input], taskQueue, workflowId: id });
    });
    const startSeconds = (Date.now() - startedAt) / 1000;
    // Let the start burst (every workflow's first look) drain before the window opens.
    await waitForQuiet(sandbox.state, n, workers, metricsPorts);

    windowStart = Date.now();
    const before = await Promise.all(metricsPorts.map(scrape));
    const meter = new ResourceMeter([
      ...workers.map((w, k) => ({ name: `worker ${k + 1} (pid ${w.pid})`, pids: () => [w.pid!], cpu: true })),
      ...server.processes,
    ]);
    while (Date.now() - windowStart < WINDOW_S * 1000) {
      workers.forEach(assertAlive);
      await sleep(2000);
    }
    windowEnd = Date.now();
    const usage = meter.stop();
    const after = await Promise.all(metricsPorts.map(scrape));
    const windowSeconds = (windowEnd - windowStart) / 1000;

    const latencies = await scheduleToStart(env, ids, windowStart, windowEnd);
    const summed = (name: string) => after.reduce((sum, a, k) => sum + delta(before[k], a, name), 0);
    const hits = summed('temporal_sticky_cache_hit');
    const misses = summed('temporal_sticky_cache_miss');
    const tasks = summed('temporal_workflow_task_execution_latency_count');
    const progressed = lookedAt.has(SWEEP)
      ? n
      : jobs.filter((j) => lookedAt.has(`/tensorone/v2/training/jobs/${j.id}`)).length;
    // Every job is seen by every sweep (all are running): its gaps are the sweeps' and its own reads'.
    const gaps = [...lookGaps, ...sweepGaps.flatMap((g) => Array<number>(n).fill(g))];
    const requests = [...perSecond.values()].reduce((a, b) => a + b, 0);
    const workerUsage = usage.slice(0, WORKERS);
    const looks = looksOnTime(before, after);
    const sweepRuns = await countSweepRuns(env, taskQueue, windowStart, windowEnd);
    const sweepRunsByStatus = await countSweepRunsByStatus(env, taskQueue, windowStart, windowEnd);
    process.stderr.write(
      `scale: sweeps of the running jobs began at ${sweepStarts.map((t) => `${((t - windowStart) / 1000).toFixed(1)}`).join(', ')} s into the window (by ${sweepStartWorkers.map((k) => k + 1).join(', ')})\n`,
    );
    if (jobReadOrigins.length)
      process.stderr.write(
        `scale: ${jobReadOrigins.length} single-job reads in the window, from: ${jobReadOrigins.slice(0, 20).join(' ')}\n`,
      );
    const runsInWindow = [...sweepRunRequests].filter(
      ([, run]) => run.firstAtMs >= windowStart && run.firstAtMs < windowEnd,
    );
    const requestsWholeSweeps =
      otherRequestsInWindow + runsInWindow.reduce((sum, [, run]) => sum + run.count, 0);
    // `job-sweep--<task queue>--tensorone--<status>--<window length>--<window start>`
    const sweepWindows = new Set(
      runsInWindow.filter(([id]) => id.includes('--running--')).map(([id]) => id.split('--').pop()),
    ).size;
    return {
      n,
      cache: cache ?? 'default',
      startSeconds,
      rssPeakMaxMiB: Math.max(...workerUsage.map((u) => u.memoryPeakMiB)),
      rssPeakSumMiB: workerUsage.reduce((sum, u) => sum + u.memoryPeakMiB, 0),
      rssEndSumMiB: workerUsage.reduce((sum, u) => sum + u.memoryLastMiB, 0),
      cpuPercentEach: workerUsage.map((u) => ((u.cpuSeconds ?? NaN) / windowSeconds) * 100),
      s2sP50: percentile(latencies, 50),
      s2sP99: percentile(latencies, 99),
      s2sMax: latencies.length ? Math.max(...latencies) : NaN,
      lookGapP50: percentile(gaps, 50),
      lookGapP99: percentile(gaps, 99),
      looksPerJobPerFreshness: looks.looks / n / (windowSeconds / FRESHNESS_S),
      looksWithinOneSecond: looks.withinOneSecond,
      stickyHitRate: hits + misses ? hits / (hits + misses) : NaN,
      progressedShare: progressed / n,
      tasksPerSecond: tasks / windowSeconds,
      sweepsEach,
      sweepRuns,
      requests,
      requestsWholeSweeps,
      sweepWindows,
      requestsByKind,
      sweepRunsByStatus,
      callsPerJobHour: requests / ((n * windowSeconds) / 3600),
      requestsPerSecond: requests / windowSeconds,
      peakRequestsPerSecond: Math.max(0, ...perSecond.values()),
      processes: usage.map((u) => ({ ...u, cpuPercent: ((u.cpuSeconds ?? NaN) / windowSeconds) * 100 })),
    };
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    // A cluster outlives the run: it must not keep supervising this run's jobs.
    if (ON_CLUSTER) await terminateRun(server, taskQueue, ids);
    await Promise.all(taps.map((t) => t.close()));
    await sandbox.close();
  }
}

/**
 * Ends the run's supervisions on the cluster: each by id, many at a time (quick: the server's batch
 * operations go at 50 workflows a second by default, over 3 minutes for 10,000), then one batch
 * operation over the task queue for any still running, waited for; prints the command that ends what
 * may be left.
 */
async function terminateRun(server: Server, taskQueue: string, ids: string[]): Promise<void> {
  const { client } = server.env;
  const reason = 'bench/scale.ts: the measurement is over';
  const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
  const started = Date.now();
  try {
    await inParallel(ids, 64, (id) =>
      client.workflow
        .getHandle(id)
        .terminate(reason)
        .catch(() => undefined),
    );
    if (await client.workflow.count(query).then((c) => c.count > 0)) {
      const jobId = `terminate-${taskQueue}`;
      await client.workflowService.startBatchOperation({
        namespace: server.namespace,
        jobId,
        visibilityQuery: query,
        reason,
        terminationOperation: { identity: 'bench/scale.ts' },
      });
      const { BATCH_OPERATION_STATE_RUNNING } = temporal.api.enums.v1.BatchOperationState;
      for (let i = 0; i < 600; i++) {
        const d = await client.workflowService.describeBatchOperation({ namespace: server.namespace, jobId });
        if (d.state !== BATCH_OPERATION_STATE_RUNNING) break;
        await sleep(1000);
      }
    }
    const { count } = await client.workflow.count(query);
    process.stderr.write(
      count
        ? `scale: ${count} workflows of ${taskQueue} still running; end them with: ${terminateCommand(server, taskQueue)}\n`
        : `scale: terminated the run's ${ids.length} workflows (${taskQueue}) in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
  } catch (err) {
    process.stderr.write(
      `scale: could not terminate the run's workflows (${(err as Error).message}); end them with: ${terminateCommand(server, taskQueue)}\n`,
    );
  }
}

/** What ends a run's workflows by hand (the `temporal` CLI, e.g. the one `npx tsx scripts/engine.ts` builds). */
function terminateCommand(server: Server, taskQueue: string): string {
  return `temporal workflow terminate --address ${server.env.address} --namespace ${server.namespace} --query "TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'" --reason "bench/scale.ts run over" --yes`;
}

function spawnWorker(
  index: number,
  address: string,
  namespace: string,
  taskQueue: string,
  sandboxUrl: string,
  metricsPort: number,
  cache: number | undefined,
): ChildProcess {
  // The production form: compiled JS and the prebuilt workflow bundle (`npm run build`).
  const heap = HEAP_MIB ? [`--max-old-space-size=${HEAP_MIB}`] : [];
  const worker = spawn(process.execPath, [...heap, 'dist/src/worker.js'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SANDBOX_URL: sandboxUrl,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      LOG_LEVEL: 'WARN',
      WORKER_WORKFLOW_BUNDLE: 'dist/workflow-bundle.js',
      WORKER_REUSE_V8_CONTEXT: REUSE_V8_CONTEXT,
      WORKER_FLEET_SWEEP: FLEET_SWEEP,
      ...(cache ? { WORKER_MAX_CACHED_WORKFLOWS: String(cache) } : {}),
    },
  });
  worker.stderr?.on('data', (d: Buffer) => {
    const text = d.toString();
    if (!/worker polling|No workflows registered/.test(text))
      process.stderr.write(`worker ${index + 1}: ${text}`);
  });
  return worker;
}

/**
 * Waits until every supervision has finished its first look (the workers' `watchTrainingJob` attempts,
 * at most three minutes: a first look that ends late reads its job by itself, a start-up cost, not the
 * sweep's), the start burst has settled, and the request rate is back near the steady state, at most
 * two minutes more.
 */
async function waitForQuiet(
  state: { requests: number },
  n: number,
  workers: ChildProcess[],
  metricsPorts: number[],
): Promise<void> {
  const looked = async () =>
    (await Promise.all(metricsPorts.map(scrape))).reduce((sum, m) => sum + (m.get(LOOKS) ?? 0), 0);
  const lookedBy = Date.now() + 180_000;
  while ((await looked()) < n && Date.now() < lookedBy) {
    workers.forEach(assertAlive);
    await sleep(2000);
  }
  // The first looks read one sweep of the job list (a page per 100 jobs), not a request per job: wait
  // for it, then for the workflow tasks of the first reports, which make no provider request.
  while (state.requests < Math.ceil(n / 100)) {
    workers.forEach(assertAlive);
    await sleep(500);
  }
  await sleep(Math.min(90_000, 20_000 + n * 7));
  const steadyPer3s = (n / FRESHNESS_S) * 3;
  const until = Date.now() + 120_000;
  let last = state.requests;
  while (Date.now() < until) {
    await sleep(3000);
    workers.forEach(assertAlive);
    const now = state.requests;
    if (now - last < steadyPer3s * 1.5 + 10) return;
    last = now;
  }
}

function assertAlive(worker: ChildProcess): void {
  if (worker.exitCode !== null || worker.signalCode !== null)
    throw new Error(`the worker exited (${worker.exitCode ?? worker.signalCode}); see its output above`);
}

async function inParallel<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/** Workflow task scheduled → started, for tasks scheduled inside the window, over a sample of workflows. */
async function scheduleToStart(
  env: TestWorkflowEnvironment,
  ids: string[],
  fromMs: number,
  toMs: number,
): Promise<number[]> {
  const step = Math.max(1, Math.floor(ids.length / HISTORY_SAMPLE));
  const out: number[] = [];
  for (let i = 0; i < ids.length; i += step) {
    const history = await env.client.workflow.getHandle(ids[i]).fetchHistory();
    let scheduledAt: number | undefined;
    for (const e of history.events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
      if (e.workflowTaskScheduledEventAttributes) scheduledAt = at;
      if (e.workflowTaskStartedEventAttributes && scheduledAt !== undefined) {
        if (scheduledAt >= fromMs && scheduledAt <= toMs) out.push(at - scheduledAt);
        scheduledAt = undefined;
      }
    }
  }
  return out;
}

/** `jobListSweep` runs of the task queue begun in the window (NaN where the server cannot count them). */
async function countSweepRuns(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  fromMs: number,
  toMs: number,
): Promise<number> {
  const iso = (ms: number) => new Date(ms).toISOString();
  try {
    const { count } = await env.client.workflow.count(
      `WorkflowType = 'jobListSweep' AND TaskQueue = '${taskQueue}' AND StartTime >= '${iso(fromMs)}' AND StartTime < '${iso(toMs)}'`,
    );
    return count;
  } catch {
    return NaN;
  }
}

/** The `jobListSweep` runs begun in the window, by the status in their id (`jobListSweepId`). */
async function countSweepRunsByStatus(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  fromMs: number,
  toMs: number,
): Promise<{ running: number; pending: number }> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const counts = { running: 0, pending: 0 };
  try {
    for await (const run of env.client.workflow.list({
      query: `WorkflowType = 'jobListSweep' AND TaskQueue = '${taskQueue}' AND StartTime >= '${iso(fromMs)}' AND StartTime < '${iso(toMs)}'`,
    }))
      if (run.workflowId.includes('--pending--')) counts.pending += 1;
      else counts.running += 1;
    return counts;
  } catch {
    return { running: NaN, pending: NaN };
  }
}

/** Waits until the worker's metrics endpoint answers with its pollers' figures: the worker is polling. */
async function waitForMetrics(port: number): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const metrics = await scrape(port).catch(() => undefined);
    const names = [...(metrics?.keys() ?? [])];
    if (names.some((k) => k.startsWith('temporal_num_pollers') || k.startsWith('temporal_worker_'))) return;
    await sleep(500);
  }
  throw new Error('the worker did not come up within 2 minutes');
}

/** The worker's Prometheus metrics, summed by name over all label sets. */
async function scrape(port: number): Promise<Map<string, number>> {
  return parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
}

/**
 * Looks and how late they began. Each look is an attempt of `watchTrainingJob` (counted by its
 * execution latency, which has the activity type); schedule-to-start, how long after the server made a
 * task due it began, carries only the task queue: the workflow queue's activities, nearly all looks.
 */
const LOOKS = 'looks';
const LATE = 'workflow_queue_activity_schedule_to_start';

function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (key: string, value: number) => out.set(key, (out.get(key) ?? 0) + value);
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+([\d.eE+-]+|NaN)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    add(name, Number(raw));
    if (
      name === 'temporal_activity_execution_latency_count' &&
      labels.includes('activity_type="watchTrainingJob"')
    )
      add(LOOKS, Number(raw));
    // Provider queues are named `<queue>--<provider>`.
    if (!name.startsWith('temporal_activity_schedule_to_start_latency') || labels.includes('--')) continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    if (name.endsWith('_bucket') && le) add(`${LATE}_le_${le}`, Number(raw));
    if (name.endsWith('_count')) add(`${LATE}_count`, Number(raw));
  }
  return out;
}

/**
 * Looks begun in the window, and the share of the workflow queue's activity tasks that began at most
 * 1 s after they were due (the SDK's buckets: ..., 500 ms, 1 s, 5 s, ...; in ms or in seconds).
 */
function looksOnTime(before: Map<string, number>[], after: Map<string, number>[]) {
  const sum = (key: string) =>
    after.reduce((n, a, k) => n + (a.get(key) ?? 0) - (before[k].get(key) ?? 0), 0);
  const tasks = sum(`${LATE}_count`);
  const keys = new Set(after.flatMap((a) => [...a.keys()]));
  const oneSecond = [`${LATE}_le_1000`, `${LATE}_le_1`].find((k) => keys.has(k));
  return { looks: sum(LOOKS), withinOneSecond: oneSecond && tasks ? sum(oneSecond) / tasks : NaN };
}

function delta(before: Map<string, number>, after: Map<string, number>, name: string): number {
  const key = [...after.keys()].find((k) => k === name || k === `${name}_total`) ?? name;
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

main().catch((err: unknown) => {
  process.stderr.write(
    err instanceof SetupError ? `scale: ${err.message}\n` : `${(err as Error).stack ?? String(err)}\n`,
  );
  process.exit(1);
});
