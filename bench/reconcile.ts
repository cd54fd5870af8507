/**
 * Orphan reconciler: on the dev server (real worker, real time) and the sandbox, 7 pipelines start;
 * 3 are terminated while training and 2 while their endpoint deploys, one keeps running and one deploys
 * and serves. Hand-made resources are seeded beside them: jobs and endpoints whose names only look like
 * a run's, and one job named exactly after the running pipeline's run. Past the grace, the real CLI runs
 * `starter reconcile --json --grace 1m`, first with `--dry-run`, then for real.
 * Prints what it found per kind and did, the orphans it stopped or removed (goal 5 of 5), what it touched
 * that it must not (goal 0: look-alikes, the running owner's, the served endpoint, at the provider), what
 * the dry run changed (goal nothing), the seconds each run took and the provider requests it made.
 * Figures only: it exits non-zero only on a broken invariant (something touched it must not, or a dry
 * run that changed something).
 *   npx tsx bench/reconcile.ts [--epoch-ms 5000]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { devServerTuningArgs } from '../engine/dev-server-tuning';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { sandboxAdmin } from '../sandbox/admin-client';
import type { ReconcileKind, ReconcileResult } from '../src/decisions/reconcile';
import { pipelineWorkflowId, type PipelineInput } from '../src/domain/pipeline-input';
import { fineTuneToDeploy } from '../src/workflows';
import type { PipelineResult } from '../src/workflows/pipeline/contract';
import { startBenchBed, type BenchBed } from './bed';
import { benchHeader, option, table } from './report';

const repo = path.resolve(__dirname, '..');
const EPOCH_MS = Number(option('epoch-ms') ?? 5000);
const TASK_QUEUE = 'bench-reconcile';
/** The shortest grace the CLI takes. */
const GRACE = '1m';
const GRACE_MS = 60_000;
const TRAINING = ['recon-t1', 'recon-t2', 'recon-t3'];
const DEPLOYING = ['recon-d1', 'recon-d2'];
/** Names that look like a pipeline run's and are not: each must survive. */
const LOOK_ALIKES = [
  'pipeline-recon-t1--r0123456789a--train-a100',
  'pipeline-recon-t1--r0123456789abc--train-a100',
  'pipeline-recon-t1--r0123456789AB--train-a100',
  'my-pipeline-recon-t1--r0123456789ab--train-a100',
  'pipeline-recon-t1-r0123456789ab-train-a100',
  'pipeline-recon-t1--train-a100',
];
const ENDPOINT_LOOK_ALIKES = ['pipeline-recon-d1--r0123456789ab--deploy-b', 'pipeline-recon-d1--deploy'];

const supervision: PipelineInput['supervision'] = {
  freshness: '2s',
  minInterval: '1s',
  stallAfter: '1h',
  resumeBudget: 0,
  unknownStatusGrace: '1h',
};
const input = (name: string, epochs: number): PipelineInput =>
  pipelineInput(name, {
    train: tensoroneTrain({ config: { strategy: 'lora', training: { epochs, learning_rate: 2e-4 } } }),
    supervision,
    deploy: { target: 'tensorone-endpoint', gpuIds: ['a100'], workerCount: 1, timeout: '10m' },
  });

async function main(): Promise<void> {
  const bed = await startBenchBed(
    TASK_QUEUE,
    { epochMs: EPOCH_MS, queueMs: 200, deployMs: 20_000, seed: 11 },
    {},
    { devServerArgs: devServerTuningArgs() },
  );
  const { env, sandbox, clients } = bed;
  const state = sandbox.state;
  const start = (name: string, epochs: number) =>
    env.client.workflow.start(fineTuneToDeploy, {
      args: [input(name, epochs)],
      taskQueue: TASK_QUEUE,
      workflowId: pipelineWorkflowId(name),
    });
  const jobOf = (name: string) =>
    [...state.jobs.values()].find((j) => j.name.startsWith(`pipeline-${name}--r`) && j.name.endsWith('a100'));
  const endpointOf = (name: string) =>
    [...state.endpoints.values()].find((e) => e.name.startsWith(`pipeline-${name}--r`));

  const served = start('recon-served', 1);
  const handles = new Map<string, WorkflowHandle>();
  for (const name of TRAINING) handles.set(name, await start(name, 200));
  for (const name of DEPLOYING) handles.set(name, await start(name, 1));
  const running = await start('recon-running', 200);
  await until(
    () =>
      DEPLOYING.every((n) => endpointOf(n)) &&
      [...TRAINING, 'recon-running'].every((n) => jobOf(n) && state.advance(jobOf(n)!).status === 'running'),
  );
  for (const name of [...TRAINING, ...DEPLOYING])
    await handles.get(name)!.terminate(`operator: mid-${TRAINING.includes(name) ? 'training' : 'deploy'}`);
  const terminatedAt = Date.now();
  const servedResult = (await (await served).result()) as PipelineResult;
  if (servedResult.outcome !== 'deployed') throw new Error(`recon-served ended ${servedResult.outcome}`);

  // Hand-made: look-alike jobs and endpoints, and a job named after the running pipeline's run.
  const config = { strategy: 'lora', training: { epochs: 200, learning_rate: 2e-4 } };
  const createJob = (name: string) =>
    clients.tensorone.jobs.create({ name, modelType: 'llm', datasetId: 'ds_support_tickets', config });
  const source = await sandboxAdmin(sandbox.url).seedCompletedJob('hand-made-source', 1);
  const checkpointId = state.jobCheckpoints(source.jobId)[0]!.id;
  const runPrefix = running.firstExecutionRunId.replace(/-/g, '').slice(0, 12);
  const handMade = [
    ...(await Promise.all(LOOK_ALIKES.map(createJob))).map((j) => ({ kind: 'look-alike job', id: j.id })),
    ...(
      await Promise.all(
        ENDPOINT_LOOK_ALIKES.map((name) =>
          clients.tensorone.endpoints.create({ name, checkpointId, gpuIds: ['a100'], workerCount: 1 }),
        ),
      )
    ).map((e) => ({ kind: 'look-alike endpoint', id: e.id })),
    {
      kind: "job named after the running owner's run",
      id: (await createJob(`pipeline-recon-running--r${runPrefix}--train-h100`)).id,
    },
  ];
  const orphans = [
    ...TRAINING.map((n) => ({ name: n, id: jobOf(n)!.id })),
    ...DEPLOYING.map((n) => ({ name: n, id: endpointOf(n)!.id })),
  ];
  const mustNotTouch = [
    ...handMade,
    { kind: "running owner's job", id: jobOf('recon-running')!.id },
    { kind: 'served endpoint', id: servedResult.deployment!.id },
  ];

  await new Promise((r) => setTimeout(r, terminatedAt + GRACE_MS + 1000 - Date.now()));
  const dryAfterMs = Date.now() - terminatedAt;
  const before = snapshot(bed);
  const dry = await reconcile(bed, true);
  const dryChanged = changed(before, snapshot(bed));
  const real = await reconcile(bed, false);
  const after = snapshot(bed);

  const acted = new Set(
    real.result.resources.filter((r) => r.outcome === 'stopped' || r.outcome === 'removed').map((r) => r.id),
  );
  const orphansActed = orphans.filter((o) => acted.has(o.id) && after.get(o.id) !== before.get(o.id));
  const touched = [
    ...mustNotTouch.filter(
      (m) =>
        after.get(m.id) !== before.get(m.id) || real.result.resources.some((r) => r.id === m.id && r.outcome),
    ),
    ...[...acted].filter((id) => !orphans.some((o) => o.id === id)).map((id) => ({ kind: 'other', id })),
  ];

  const kinds: ReconcileKind[] = ['training-job', 'endpoint', 'registry-deployment', 'served-model'];
  const rows = kinds.map((kind) => {
    const of = real.result.resources.filter((r) => r.kind === kind);
    const count = (pred: (r: (typeof of)[number]) => boolean) => of.filter(pred).length;
    return [
      kind,
      of.length,
      count((r) => r.outcome === 'stopped'),
      count((r) => r.outcome === 'removed'),
      count((r) => r.action === 'remove-by-hand'),
      count((r) => r.action === 'keep'),
      count((r) => r.outcome === 'failed'),
      dry.result.resources.filter((r) => r.kind === kind && r.action !== 'keep').length,
    ];
  });
  await running.terminate('bench over');
  await bed.close();

  const broken = touched.length > 0 || dryChanged.length > 0;
  process.stdout.write(
    [
      benchHeader(
        'Orphan reconciler: 5 owners terminated mid-training / mid-deploy, look-alikes beside them',
      ),
      `load average at the end: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(', ')}`,
      '',
      `sandbox: 1 epoch every ${EPOCH_MS} ms, deploys take 20 s; 7 pipelines: ${TRAINING.length} terminated training, ${DEPLOYING.length} terminated deploying, 1 running, 1 deployed and serving; hand-made: ${LOOK_ALIKES.length} look-alike jobs, ${ENDPOINT_LOOK_ALIKES.length} look-alike endpoints, 1 job named after the running owner's run. \`starter reconcile --json --grace ${GRACE}\` (the CLI process) ${seconds(dryAfterMs)} after the terminations, --dry-run first.`,
      '',
      table(
        [
          'kind',
          'found (ours)',
          'stopped',
          'removed',
          'remove by hand',
          'kept',
          'failed',
          'dry run: would act',
        ],
        rows,
      ),
      '',
      `not ours (not considered): ${real.result.notOurs}; cannot see: ${real.result.unseen.map((u) => u.what).join(', ') || 'nothing'}`,
      `orphans stopped or removed: ${orphansActed.length} of ${orphans.length}${
        orphansActed.length < orphans.length
          ? ` (missed: ${orphans
              .filter((o) => !orphansActed.includes(o))
              .map((o) => o.name)
              .join(', ')})`
          : ''
      }`,
      `touched that it must not: ${touched.length} of ${mustNotTouch.length} protected${touched.length ? ` (${touched.map((t) => `${t.kind} ${t.id}`).join(', ')})` : ''}`,
      `dry run changed: ${dryChanged.length ? dryChanged.join(', ') : 'nothing'}`,
      '',
      table(
        [
          'run',
          'CLI process s',
          'workflow s',
          'provider requests (reconciler)',
          'GET (lists, reads before a stop)',
          'stops / deletes',
        ],
        [dry, real].map((r) => [
          r.result.dryRun ? 'dry run' : 'for real',
          r.processMs / 1000,
          r.workflowMs / 1000,
          r.requests.length,
          r.requests.filter((q) => q.method === 'GET').length,
          r.requests.filter((q) => q.method !== 'GET').length,
        ]),
      ),
      '',
    ].join('\n'),
  );
  if (broken) {
    process.stderr.write('broken invariant: it touched what it must not, or the dry run changed something\n');
    process.exit(1);
  }
}

interface Run {
  result: ReconcileResult;
  processMs: number;
  workflowMs: number;
  requests: { method: string; path: string }[];
}

/** `starter reconcile --json` as an operator runs it, with the reconciler's requests at the sandbox. */
async function reconcile(bed: BenchBed, dryRun: boolean): Promise<Run> {
  const args = ['src/starter.ts', 'reconcile', '--json', '--grace', GRACE, ...(dryRun ? ['--dry-run'] : [])];
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: bed.env.connection.options.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
  };
  const started = Date.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(path.join(repo, 'node_modules/.bin/tsx'), args, { cwd: repo, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`starter ${args.slice(1).join(' ')} exited ${code}: ${err}`)),
    );
  });
  const processMs = Date.now() - started;
  const result = JSON.parse(stdout) as ReconcileResult;
  let workflowMs = NaN;
  let workflowId = '';
  for await (const w of bed.env.client.workflow.list({ query: `WorkflowType = 'reconcileOrphans'` }))
    if (w.startTime.getTime() >= started && w.closeTime) {
      workflowMs = w.closeTime.getTime() - w.startTime.getTime();
      workflowId = w.workflowId;
    }
  const requests = bed.sandbox.state.requestLog.filter(
    (q) => q.at >= started && workflowId && q.origin?.startsWith(`${workflowId}/`),
  );
  return { result, processMs, workflowMs, requests };
}

/** Every job's status and endpoint's presence at the provider, by id. */
function snapshot(bed: BenchBed): Map<string, string> {
  const s = new Map<string, string>();
  for (const job of bed.sandbox.state.jobs.values()) s.set(job.id, bed.sandbox.state.advance(job).status);
  for (const e of bed.sandbox.state.endpoints.values()) s.set(e.id, 'present');
  return s;
}

/** Ids whose status changed or that disappeared; running jobs that completed on their own do not count. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before]
    .filter(
      ([id, status]) => after.get(id) !== status && !(status === 'running' && after.get(id) === 'completed'),
    )
    .map(([id, status]) => `${id} ${status} → ${after.get(id) ?? 'gone'}`);
}

async function until(condition: () => boolean, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error('the pipelines did not reach training / deploying in 5 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
