/**
 * The domain metrics as a platform team scrapes them: a worker process (`src/worker.ts`) with its
 * Prometheus endpoint runs a gated pipeline against the sandbox (with some 429s); the endpoint shows
 * the pipeline started and ended, its approval past half its time, its deploy, the provider requests
 * by route and status class, the Retry-After waits, the looks, the spend and the cleanup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startOrAttachPipeline } from '../../src/cli/start-pipeline';
import { sendUpdate } from '../../src/cli/operator';
import { parsePipelineInput } from '../../src/domain/pipeline-input';
import { approveUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { eventually } from '../harness/sandbox';
import { quickGatedExample } from '../harness/example-pipelines';
import { connectDevServer, type DevServerHandle, uniqueTaskQueue } from '../harness/temporal';
import { freePort } from '../../engine/free-port';
import { workerBundleEnv } from '../harness/workflow-bundles';

const repo = path.resolve(__dirname, '../..');
const taskQueue = uniqueTaskQueue('metrics');
const name = `metrics-${taskQueue.slice(-8)}`;

let dev: DevServerHandle;
let sandbox: Sandbox;
let worker: ChildProcess;
let metricsUrl: string;
let workerLog = '';

beforeAll(async () => {
  dev = await connectDevServer();
  sandbox = await startSandbox({
    epochMs: 150,
    queueMs: 50,
    deployMs: 150,
  });
  // Three requests in ten answered 429 with a Retry-After of a second (the run makes a few dozen).
  sandbox.state.faults = { ...sandbox.state.faults, rateLimitRate: 0.3, retryAfterSeconds: 1 };
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = spawn(path.join(repo, 'node_modules/.bin/tsx'), ['src/worker.ts'], {
    cwd: repo,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SANDBOX_URL: sandbox.url,
      WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
      LOG_LEVEL: 'WARN',
      // The run's prebuilt bundle, as production runs `npm run build`'s: no webpack at start.
      ...workerBundleEnv(),
    },
  });
  worker.stderr!.on('data', (d: Buffer) => (workerLog = `${workerLog}${d.toString()}`.slice(-4000)));
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGINT');
    await exited;
  }
  await sandbox?.close();
  await dev?.close();
});

/** The endpoint's samples: `name{labels}` → value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(ftp_\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

/** The sum of a metric's samples whose labels include every `key="value"` given. */
function total(samples: Map<string, number>, metric: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples) {
    if (!key.startsWith(`${metric}{`) && key !== metric) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

it('shows a gated pipeline end to end on the worker’s Prometheus endpoint', async () => {
  const spec = quickGatedExample(name, { epochs: 4, stall: '30s' });
  (spec.gate as { approval: { timeout: string } }).approval.timeout = '1m';
  await eventually(
    () =>
      fetch(metricsUrl).then(
        (r) => r.ok,
        () => undefined,
      ),
    60_000,
  ).catch(() => {
    throw new Error(`the worker's metrics endpoint never answered:\n${workerLog}`);
  });
  const { handle } = await startOrAttachPipeline(dev.client, parsePipelineInput(spec), { taskQueue });
  const status = await eventually(async () => {
    const s = await handle.query(statusQuery).catch(() => undefined);
    return s?.phase === 'awaiting-approval' ? s : undefined;
  }, 60_000);

  // Half the minute of approval time passes undecided: counted, then the operator approves.
  await eventually(
    async () => total(await scrape(), 'ftp_approvals_past_half_deadline_total') >= 1 || undefined,
    45_000,
  );
  await sendUpdate(handle, approveUpdate, {
    checkpointId: status.candidate!.checkpointId,
    by: 'metrics-test',
  });
  await handle.result();

  // The worker exports every few seconds at most: wait for the cleanup's figures to show.
  const m = await eventually(async () => {
    const s = await scrape();
    return total(s, 'ftp_cleanups_ended_total', { outcome: 'completed' }) >= 1 ? s : undefined;
  }, 30_000);
  const target = { target: 'tensorone-endpoint' };
  expect(total(m, 'ftp_pipelines_started_total', { provider: 'tensorone', ...target })).toBe(1);
  expect(total(m, 'ftp_pipelines_ended_total', { outcome: 'deployed', ...target })).toBe(1);
  expect(total(m, 'ftp_deploys_total', { outcome: 'serving', ...target })).toBe(1);
  expect(total(m, 'ftp_pipeline_time_to_deploy_seconds_count', target)).toBe(1);
  expect(total(m, 'ftp_approval_wait_seconds_count', { outcome: 'approved' })).toBe(1);
  expect(total(m, 'ftp_approval_wait_seconds_sum', { outcome: 'approved' })).toBeGreaterThanOrEqual(30);
  expect(total(m, 'ftp_approvals_past_half_deadline_total')).toBe(1);
  expect(
    total(m, 'ftp_provider_requests_total', { provider: 'tensorone', status_class: '2xx' }),
  ).toBeGreaterThan(0);
  expect(
    total(m, 'ftp_provider_requests_total', { provider: 'tensorone', status_class: '429' }),
  ).toBeGreaterThan(0);
  expect(total(m, 'ftp_provider_retry_after_seconds_count', { provider: 'tensorone' })).toBeGreaterThan(0);
  expect(total(m, 'ftp_supervision_looks_total', { provider: 'tensorone' })).toBeGreaterThan(0);
  expect(total(m, 'ftp_training_cost_cents_total', { provider: 'tensorone' })).toBeGreaterThan(0);
  expect(total(m, 'ftp_training_gpu_seconds_total', { provider: 'tensorone' })).toBeGreaterThan(0);
  expect(total(m, 'ftp_checkpoints_deleted_total')).toBeGreaterThan(0);
  // Routes are templates and no label carries an id.
  const keys = [...m.keys()].filter((k) => k.startsWith('ftp_'));
  expect(keys.some((k) => /route="GET \/v2\/jobs\/:jobId"/.test(k) || /route="GET [^"]*:\w+/.test(k))).toBe(
    true,
  );
  expect(keys.filter((k) => /(job|ckpt|ep)_[0-9a-f]{6,}/.test(k))).toEqual([]);

  const figures = [
    'ftp_pipelines_started_total',
    'ftp_pipelines_ended_total',
    'ftp_provider_requests_total',
    'ftp_supervision_looks_total',
    'ftp_supervision_looks_late_total',
    'ftp_training_gpu_seconds_total',
    'ftp_training_cost_cents_total',
    'ftp_checkpoints_deleted_total',
    'ftp_checkpoint_bytes_reclaimed_total',
  ].map((n) => `${n} ${total(m, n)}`);
  const byStatus = ['2xx', '4xx', '429', '5xx', 'network'].map(
    (c) => `${c}: ${total(m, 'ftp_provider_requests_total', { status_class: c })}`,
  );
  process.stderr.write(
    `worker metrics after one gated pipeline:\n  ${figures.join('\n  ')}\n  requests by status class: ${byStatus.join(', ')}\n`,
  );
});
