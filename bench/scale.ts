/**
 * Scale: N concurrent `superviseTrainingJob` workflows on ONE worker process (the real `src/worker.ts`,
 * configured by environment as in production) against the dev server and the sandbox. Sandbox jobs
 * last three days on a 60× clock, so every look sees new epochs. The poll interval is held at the
 * freshness (5 minutes) so every supervision is in its steady state from its first look; reports every
 * 10 minutes (the product default is 30).
 *
 * Per N: start N workflows, let the start burst settle, then measure for a window one report interval
 * and a minute long: worker RSS (peak) and CPU, workflow task schedule-to-start p50/p99 (exact, from a
 * sample of histories), the time between two looks at the same job (the sandbox's request log), the
 * sticky-cache hit rate (the worker's Prometheus counters) and the share of workflows that looked at
 * their job within the window.
 *   npx tsx bench/scale.ts [--quick] [--n 1000,5000] [--cache 2000] [--heap MiB] [--reuse-v8-context false]
 *                          [--freshness s] [--report-every s] [--window s]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { startDevServer } from '../engine/dev-server-tuning';
import { startSandbox } from '../sandbox/server';
import type { SuperviseInput } from '../src/workflows/definitions';
import { benchHeader, option, percentile, quick, table } from './report';
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
const CLOCK_SPEED = 60;
const HISTORY_SAMPLE = 200;
const repo = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  n: number;
  cache: number | 'default';
  startSeconds: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  cpuPercent: number;
  s2sP50: number;
  s2sP99: number;
  s2sMax: number;
  lookGapP50: number;
  lookGapP99: number;
  stickyHitRate: number;
  progressedShare: number;
  tasksPerSecond: number;
  /** Provider requests inside the window, all routes. */
  requests: number;
  callsPerJobHour: number;
  requestsPerSecond: number;
  peakRequestsPerSecond: number;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const build = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('npm run build failed');
  const rows: Figures[] = [];
  for (const n of SIZES) {
    for (const cache of CACHE_SIZES.length ? CACHE_SIZES : [undefined]) {
      rows.push(await measure(n, cache));
      process.stderr.write(`scale: N=${n} done\n`);
    }
  }
  process.stdout.write(
    `${benchHeader(`Scale: concurrent supervisions on one worker (freshness ${FRESHNESS_S} s, reports every ${REPORT_EVERY_S} s, window ${WINDOW_S} s)`)}\n` +
      table(
        [
          'workflows',
          'heap limit MiB',
          'reuseV8Context',
          'sticky cache',
          'start s',
          'worker RSS peak MiB',
          'RSS end MiB',
          'worker CPU %',
          'wf tasks/s',
          'wf task schedule-to-start p50 ms',
          'p99 ms',
          'max ms',
          'seconds between looks p50',
          'p99',
          'sticky hit rate',
          'progressed',
          'provider requests',
          'calls per job-hour',
          'requests/s avg',
          'requests/s peak',
        ],
        rows.map((r) => [
          r.n,
          HEAP_MIB ?? 'default',
          REUSE_V8_CONTEXT,
          r.cache,
          r.startSeconds,
          r.rssPeakMiB,
          r.rssEndMiB,
          r.cpuPercent,
          r.tasksPerSecond,
          r.s2sP50,
          r.s2sP99,
          r.s2sMax,
          r.lookGapP50,
          r.lookGapP99,
          r.stickyHitRate,
          r.progressedShare,
          r.requests,
          r.callsPerJobHour,
          r.requestsPerSecond,
          r.peakRequestsPerSecond,
        ]),
      ) +
      '\n',
  );
}

async function measure(n: number, cache: number | undefined): Promise<Figures> {
  const { devServer } = await ensureEngines({ testServer: false });
  const env = await startDevServer(devServer!);
  // The sandbox runs 60× faster than the wall clock: a three-day job moves an epoch a minute.
  const t0 = Date.now();
  let windowStart = Number.POSITIVE_INFINITY;
  const lookedAt = new Set<string>();
  // Seconds between two looks at the same job, for looks inside the window: how fresh supervision is.
  const lastLook = new Map<string, number>();
  const lookGaps: number[] = [];
  const sweepGaps: number[] = [];
  const SWEEP = 'sweep';
  let windowEnd = Number.POSITIVE_INFINITY;
  const perSecond = new Map<number, number>();
  const sandbox = await startSandbox({
    epochMs: 3_600_000,
    queueMs: 0,
    seed: 7,
    timeSource: () => t0 + (Date.now() - t0) * CLOCK_SPEED,
    onRequest: (r) => {
      const now = Date.now();
      if (now >= windowStart && now < windowEnd) {
        const second = Math.floor(now / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
      if (r.method !== 'GET') return;
      // A sweep of the job list (its first page of running jobs) sees every running job: here all of them.
      const sweep =
        r.path === '/tensorone/v2/training/jobs' &&
        /[?&]status=running(&|$)/.test(r.search) &&
        !/[?&]offset=[1-9]/.test(r.search);
      if (r.path === '/tensorone/v2/training/jobs' && !sweep) return;
      const key = sweep ? SWEEP : r.path;
      const last = Math.max(lastLook.get(key) ?? -1, lastLook.get(SWEEP) ?? -1);
      lastLook.set(key, now);
      if (now < windowStart) return;
      lookedAt.add(key);
      if (sweep) {
        if (last >= 0) sweepGaps.push((now - last) / 1000);
      } else if (last >= 0) lookGaps.push((now - last) / 1000);
    },
  });
  const jobs = Array.from({ length: n }, (_, i) =>
    sandbox.state.createJob({ name: `scale-${i}`, totalEpochs: 72 }),
  );

  const taskQueue = `scale-${n}`;
  const metricsPort = 19400 + Math.floor(Math.random() * 500);
  const worker = spawnWorker(env.address, taskQueue, sandbox.url, metricsPort, cache);
  await waitForMetrics(metricsPort);

  const startedAt = Date.now();
  const ids = jobs.map((_, i) => `scale-${n}-${i}`);
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
  await waitForQuiet(sandbox.state, n, worker);

  windowStart = Date.now();
  const before = await scrape(metricsPort);
  const cpuBefore = cpuTicks(worker.pid!);
  let rssPeak = 0;
  while (Date.now() - windowStart < WINDOW_S * 1000) {
    assertAlive(worker);
    rssPeak = Math.max(rssPeak, rssMiB(worker.pid!));
    await sleep(2000);
  }
  windowEnd = Date.now();
  const after = await scrape(metricsPort);
  const cpuAfter = cpuTicks(worker.pid!);
  const rssEnd = rssMiB(worker.pid!);
  rssPeak = Math.max(rssPeak, rssEnd);

  const latencies = await scheduleToStart(env, ids, windowStart, windowEnd);
  const hits = delta(before, after, 'temporal_sticky_cache_hit');
  const misses = delta(before, after, 'temporal_sticky_cache_miss');
  const tasks = delta(before, after, 'temporal_workflow_task_execution_latency_count');
  const progressed = lookedAt.has(SWEEP)
    ? n
    : jobs.filter((j) => lookedAt.has(`/tensorone/v2/training/jobs/${j.id}`)).length;
  // Every job is seen by every sweep (all are running): its gaps are the sweeps' and its own reads'.
  const gaps = [...lookGaps, ...sweepGaps.flatMap((g) => Array<number>(n).fill(g))];
  const requests = [...perSecond.values()].reduce((a, b) => a + b, 0);
  const windowSeconds = (windowEnd - windowStart) / 1000;

  worker.kill('SIGKILL');
  await sandbox.close();
  await env.teardown();
  return {
    n,
    cache: cache ?? 'default',
    startSeconds,
    rssPeakMiB: rssPeak,
    rssEndMiB: rssEnd,
    cpuPercent: ((cpuAfter - cpuBefore) / 100 / ((windowEnd - windowStart) / 1000)) * 100,
    s2sP50: percentile(latencies, 50),
    s2sP99: percentile(latencies, 99),
    s2sMax: latencies.length ? Math.max(...latencies) : NaN,
    lookGapP50: percentile(gaps, 50),
    lookGapP99: percentile(gaps, 99),
    stickyHitRate: hits + misses ? hits / (hits + misses) : NaN,
    progressedShare: progressed / n,
    tasksPerSecond: tasks / windowSeconds,
    requests,
    callsPerJobHour: requests / ((n * windowSeconds) / 3600),
    requestsPerSecond: requests / windowSeconds,
    peakRequestsPerSecond: Math.max(0, ...perSecond.values()),
  };
}

function spawnWorker(
  address: string,
  taskQueue: string,
  sandboxUrl: string,
  metricsPort: number,
  cache: number | undefined,
): ChildProcess {
  // The production form: compiled JS and the prebuilt workflow bundle (`npm run build`), one process.
  const heap = HEAP_MIB ? [`--max-old-space-size=${HEAP_MIB}`] : [];
  const worker = spawn(process.execPath, [...heap, 'dist/src/worker.js'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SANDBOX_URL: sandboxUrl,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      LOG_LEVEL: 'WARN',
      WORKER_WORKFLOW_BUNDLE: 'dist/workflow-bundle.js',
      WORKER_REUSE_V8_CONTEXT: REUSE_V8_CONTEXT,
      ...(cache ? { WORKER_MAX_CACHED_WORKFLOWS: String(cache) } : {}),
    },
  });
  worker.stderr?.on('data', (d: Buffer) => {
    const text = d.toString();
    if (!text.includes('worker polling')) process.stderr.write(`worker: ${text}`);
  });
  return worker;
}

/**
 * Waits until the sandbox has seen the first looks and the start burst has settled, and the request
 * rate is back near the steady state, at most two minutes more.
 */
async function waitForQuiet(state: { requests: number }, n: number, worker: ChildProcess): Promise<void> {
  // The first looks read one sweep of the job list (a page per 100 jobs), not a request per job: wait
  // for it, then for the workflow tasks of the first reports, which make no provider request.
  while (state.requests < Math.ceil(n / 100)) {
    assertAlive(worker);
    await sleep(500);
  }
  await sleep(Math.min(90_000, 20_000 + n * 7));
  const steadyPer3s = (n / FRESHNESS_S) * 3;
  const until = Date.now() + 120_000;
  let last = state.requests;
  while (Date.now() < until) {
    await sleep(3000);
    assertAlive(worker);
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

function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+([\d.eE+-]+|NaN)/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

function delta(before: Map<string, number>, after: Map<string, number>, name: string): number {
  const key = [...after.keys()].find((k) => k === name || k === `${name}_total`) ?? name;
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** utime + stime of the process, in clock ticks (100 per second on Linux). */
function cpuTicks(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
