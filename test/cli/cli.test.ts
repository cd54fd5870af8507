import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { withLatestLook } from '../../src/cli/latest-look';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import YAML from 'yaml';
import { createProviderClients } from '../../src/providers/config';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { uniqueTaskQueue } from '../harness/temporal';
import { runCliInProcess, useCliBed } from '../harness/cli-bed';
import { quickGatedExample } from '../harness/example-pipelines';
import { statusQuery, type PipelineStatus } from '../../src/workflows/pipeline/contract';
import { superviseWorkflowId } from '../../src/workflows/supervise/contract';
import { createWorker } from '../../src/worker-factory';
import { fineTuneToDeploy, superviseTrainingJob } from '../../src/workflows';
import { testWorkerSettings, workerBundleEnv } from '../harness/workflow-bundles';

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-cli-'));

const bed = useCliBed({ name: 'cli', sandbox: { epochMs: 150, queueMs: 50, deployMs: 150 }, worker: true });
const { taskQueue } = bed;
const cliEnv = bed.env;
const cli = bed.cli;

/** Summaries (Temporal user metadata) of a workflow's history events, by event type. */
async function eventSummaries(workflowId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = { ActivityTaskScheduled: [], TimerStarted: [] };
  const converter = defaultPayloadConverter;
  for (const e of (await bed.dev.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
    const summary = e.userMetadata?.summary;
    if (!summary) continue;
    const type = String(temporal.api.enums.v1.EventType[e.eventType!]).replace(/^EVENT_TYPE_/, '');
    const name = type
      .toLowerCase()
      .split('_')
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('');
    (out[name] ??= []).push(converter.fromPayload<string>(summary));
  }
  return out;
}

/** The example pipeline with a unique name, compressed further for a 150 ms epoch. */
function pipelineFile(name: string, edit: (p: Record<string, unknown>) => void = () => undefined): string {
  const p = quickGatedExample(name, { epochs: 4, stall: '20s' });
  edit(p);
  const file = path.join(tmp, `${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(p));
  return file;
}

it('refuses a bad pipeline file with exit code 2, naming the file and the field, starting nothing', async () => {
  const file = pipelineFile(
    'bad-file',
    (p) => ((p.train as Record<string, unknown>).datasetId = 'not-a-dataset'),
  );
  const before = bed.sandbox.state.jobs.size;
  const r = await cli(['run', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('bad-file.yaml is invalid');
  expect(r.stderr).toContain('train.datasetId');
  expect(bed.sandbox.state.jobs.size).toBe(before);
  const runs = [];
  for await (const w of bed.dev.client.workflow.list({ query: `WorkflowId = 'pipeline-bad-file'` }))
    runs.push(w);
  expect(runs).toHaveLength(0);
});

it('run → approve → serving, with the CLI as a separate process; status --json has the documented shape', async () => {
  const file = pipelineFile('cli-gated');
  const run = spawn(tsx, ['src/starter.ts', 'run', file], { cwd: repo, env: cliEnv() });
  let stdout = '';
  let stderr = '';
  run.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => run.on('close', resolve));

  const id = 'pipeline-cli-gated';
  let status: Record<string, unknown> = {};
  for (let i = 0; i < 120 && status.phase !== 'awaiting-approval'; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const s = await cli(['status', id, '--json']);
    if (s.code === 0) status = JSON.parse(s.stdout);
  }
  expect(status).toMatchObject({
    workflowId: id,
    runStatus: 'RUNNING',
    phase: 'awaiting-approval',
    provider: 'tensorone',
    jobId: expect.any(String),
    candidate: { metric: 'validationLoss', checkpointId: expect.any(String), value: expect.any(Number) },
    pinned: [],
  });
  expect(status.training).toMatchObject({
    status: 'completed',
    epoch: 4,
    totalEpochs: 4,
    percentage: 100,
    cost: expect.any(Number),
  });

  // A second `run` of the same file while it runs attaches; no second pipeline, no second job.
  const jobsBefore = bed.sandbox.state.jobs.size;
  const again = await cli(['run', file, '--no-follow']);
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`attached to running ${id}`);
  expect(bed.sandbox.state.jobs.size).toBe(jobsBefore);

  const approve = await cli(['approve', id, '--reason', 'eval ok', '--by', 'ada']);
  expect(approve.code).toBe(0);
  expect(await exited).toBe(0);
  expect(stdout).toMatch(/^serving: tensorone-endpoint ep_/m);
  expect(stderr).toContain('started pipeline-cli-gated');
  const human = await cli(['status', id]);
  expect(human.stdout).toContain('phase: completed');
  expect(human.stdout).toContain('approved by ada: eval ok');

  // The Web UI's view: the CLI's static summary, the approval timer and the children carry summaries.
  const handle = bed.dev.client.workflow.getHandle<typeof fineTuneToDeploy>(id);
  expect(await (await handle.describe()).staticSummary()).toBe(
    'cli-gated: train llm on ds_support_tickets_2026 (h100 or a100) → tensorone-endpoint',
  );
  const summaries = await eventSummaries(id);
  expect(summaries.TimerStarted[0]).toMatch(
    /^waiting for approval of ckpt_\S+ until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(then reject\)$/,
  );
  // Then the deploy's waits between looks at the endpoint.
  for (const wait of summaries.TimerStarted.slice(1))
    expect(wait).toMatch(/^ep_\S+ is \w+: ask again in \d+ s$/);
  expect(summaries.StartChildWorkflowExecutionInitiated).toEqual([
    expect.stringMatching(/^supervise tensorone job job_\S+ for pipeline-cli-gated$/),
    expect.stringMatching(
      /^delete old checkpoints of job job_\S+ \(keep the newest 2, the chosen and pinned\)$/,
    ),
  ]);
  expect(summaries.ActivityTaskScheduled).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^start training llm on ds_support_tickets_2026 \(h100\)$/),
      expect.stringMatching(/^deploy checkpoint ckpt_\S+ as an endpoint$/),
      expect.stringMatching(/^smoke-test endpoint ep_\S+$/),
    ]),
  );
  // No webhook on this worker: the fleet budget's question learns it, and no notification is scheduled.
  expect(summaries.ActivityTaskScheduled.filter((t) => t.startsWith('notify the webhook'))).toEqual([]);
  const cleanupSummaries = await eventSummaries(`${id}/cleanup`);
  expect(cleanupSummaries.ActivityTaskScheduled).toEqual(
    expect.arrayContaining([expect.stringMatching(/^delete \d+ checkpoints? of job job_\S+ \(\d+ [\w-]+/)]),
  );

  // The report has the approval history, and says where it went by default: not the current folder.
  const reportDir = fs.mkdtempSync(path.join(tmp, 'reports-'));
  const report = await cli(['report', id], { FTP_REPORT_DIR: reportDir });
  expect(report.code).toBe(0);
  expect(report.stdout).toContain(`wrote ${path.join(reportDir, `${id}.html`)}`);
  const html = fs.readFileSync(path.join(reportDir, `${id}.html`), 'utf8');
  expect(html).toMatch(/<li>\d{4}-[^<]* approve by ada: eval ok<\/li>/);
  expect(html).toContain('approved by ada: eval ok');
}, 120_000);

it('operator commands are refused with exit 2 and the reason: approve during training (the gate still waits), pin of an unknown checkpoint, a second supervisor, a stale candidate; cancel answers what it stops', async () => {
  // The job holds at epoch 2 (a sandbox stall the supervision waits out) until the refusals are in,
  // however long the CLI processes take to start on a busy machine.
  const file = pipelineFile('cli-refusals', (p) => {
    (p.supervision as { stallAfter: string }).stallAfter = '10m';
    delete p.budget;
  });
  bed.sandbox.state.faults = {
    ...bed.sandbox.state.faults,
    stallAtEpoch: 2,
    stallJobNameContains: 'cli-refusals',
  };
  expect((await cli(['run', file, '--no-follow'])).code).toBe(0);
  const id = 'pipeline-cli-refusals';
  const handle = bed.dev.client.workflow.getHandle<typeof fineTuneToDeploy>(id);
  const statusWhen = async (ok: (s: PipelineStatus) => boolean, tries = 240) => {
    for (let i = 0; i < tries; i++) {
      const s = await handle.query(statusQuery).catch(() => undefined);
      if (s && ok(s)) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`pipeline ${id} never reached the expected status`);
  };
  const training = await statusWhen((s) => s.phase === 'training' && !!s.jobId);
  const jobId = training.jobId!;

  const [approve, pin, supervise] = await Promise.all([
    cli(['approve', id]),
    cli(['pin', id, 'ckpt_nope']),
    cli(['supervise', jobId]),
  ]);
  expect((await handle.query(statusQuery)).phase).toBe('training'); // all three landed while it trained
  bed.sandbox.state.faults = { ...bed.sandbox.state.faults, stallAtEpoch: undefined }; // training goes on
  expect(approve).toMatchObject({ code: 2, stdout: '' });
  expect(approve.stderr).toContain('refused: not awaiting approval (phase: training)');
  expect(approve.stderr).not.toContain('Workflow Update failed');
  expect(pin.code).toBe(2);
  expect(pin.stderr).toMatch(
    new RegExp(
      `refused: checkpoint ckpt_nope is not one of the \\d+ checkpoints of job ${jobId} \\(every page`,
    ),
  );
  expect(supervise.code).toBe(2);
  expect(supervise.stderr).toContain(
    `refused: tensorone job ${jobId} is already supervised by supervise-tensorone-${jobId} (the supervision of pipeline ${id}`,
  );

  // The refused approval let nothing through: the gate waits for a decision.
  const waiting = await statusWhen((s) => !['training', 'comparing', 'gating'].includes(s.phase), 480);
  expect(waiting.phase).toBe('awaiting-approval');
  expect(waiting.gate?.reasons.join(' ')).not.toMatch(/approved/);
  const candidate = waiting.candidate!.checkpointId;
  const stale = candidate.endsWith('_e1')
    ? candidate.replace(/_e1$/, '_e2')
    : candidate.replace(/_e\d+$/, '_e1');
  const staleApprove = await cli(['approve', id, '--checkpoint', stale, '--by', 'ada']);
  expect(staleApprove.code).toBe(2);
  expect(staleApprove.stderr).toContain(
    `refused: stale candidate: you named ${stale}, the pipeline awaits approval of ${candidate}`,
  );
  expect((await handle.query(statusQuery)).phase).toBe('awaiting-approval');

  const cancel = await cli(['cancel', id, '--reason', 'acceptance']);
  expect(cancel.code).toBe(0);
  expect(cancel.stdout).toContain(`${id}: cancelling (was awaiting-approval)`);
  expect(cancel.stdout).toContain('the approval wait ends');
  expect((await handle.result()).outcome).toBe('cancelled');
  const late = await cli(['approve', id, '--checkpoint', candidate]);
  expect(late.code).toBe(2);
  expect(late.stderr).toContain(`refused: pipeline ${id} has ended (COMPLETED)`);
}, 180_000);

it('`supervise` of a job a `starter supervise` already watches is refused naming it, even with --may-stop', async () => {
  await bed.sandbox.state.syncClock();
  const jobId = bed.sandbox.state.createJob({ name: 'cli-watched', totalEpochs: 400 }).id;
  const owner = await bed.dev.client.workflow.start(superviseTrainingJob, {
    taskQueue,
    workflowId: superviseWorkflowId('tensorone', jobId),
    args: [
      {
        provider: 'tensorone',
        jobId,
        freshness: '1s',
        minInterval: '200ms',
        stallAfter: '20s',
        resumeBudget: 1,
        unknownStatusGrace: '20s',
        mayStopJob: false,
      },
    ],
  });
  try {
    const second = await cli(['supervise', '--may-stop', jobId]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(
      `refused: tensorone job ${jobId} is already supervised by supervise-tensorone-${jobId} (started by \`starter supervise\`)`,
    );
    expect((await owner.describe()).status.name).toBe('RUNNING');
    expect(bed.sandbox.state.jobs.get(jobId)!.status).not.toBe('stopped');
  } finally {
    await owner.terminate('test over').catch(() => undefined);
  }
});

it('manages the cleanup schedule: create, list, trigger, delete', async () => {
  const id = `cleanup-${taskQueue}`;
  expect(
    (await cli(['schedule', 'cleanup', 'create', '--id', id, '--every', '1d', '--keep', '2'])).stdout,
  ).toContain(`created schedule ${id}`);
  expect(
    (await cli(['schedule', 'cleanup', 'update', '--id', id, '--every', '12h', '--keep', '3'])).stdout,
  ).toContain(`updated schedule ${id}`);
  const listed = JSON.parse((await cli(['schedule', 'cleanup', 'list', '--json'])).stdout) as {
    scheduleId: string;
    paused: boolean;
  }[];
  expect(listed.find((s) => s.scheduleId === id)).toMatchObject({ paused: false });
  expect((await cli(['schedule', 'cleanup', 'trigger', '--id', id])).code).toBe(0);
  const description = await bed.dev.client.schedule.getHandle(id).describe();
  expect(description.policies.overlap).toBe('SKIP');
  expect((await cli(['schedule', 'cleanup', 'delete', '--id', id])).code).toBe(0);
});

it('manages the reconcile schedule: created with its grace, listed apart from cleanup schedules, deleted', async () => {
  const id = `reconcile-${taskQueue}`;
  expect(
    (await cli(['schedule', 'reconcile', 'create', '--id', id, '--grace', '2h', '--dry-run'])).stdout,
  ).toContain(`created schedule ${id}`);
  const description = await bed.dev.client.schedule.getHandle(id).describe();
  expect(description.action).toMatchObject({
    workflowType: 'reconcileOrphans',
    args: [{ dryRun: true, graceMs: 7_200_000 }],
  });
  expect(description.spec.intervals?.[0]?.every).toBe(3_600_000);
  expect(description.policies.overlap).toBe('SKIP');
  const listed = JSON.parse((await cli(['schedule', 'reconcile', 'list', '--json'])).stdout) as {
    scheduleId: string;
  }[];
  expect(listed.map((s) => s.scheduleId)).toContain(id);
  const cleanups = JSON.parse((await cli(['schedule', 'cleanup', 'list', '--json'])).stdout) as {
    scheduleId: string;
  }[];
  expect(cleanups.map((s) => s.scheduleId)).not.toContain(id);
  expect((await cli(['schedule', 'reconcile', 'delete', '--id', id])).code).toBe(0);
});

it('the worker refuses a bad environment with one message naming every bad variable (exit 2)', () => {
  const r = spawnSync(tsx, ['src/worker.ts'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: 'no-port',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '-3',
      TENSORONE_BASE_URL: 'https://api.tensorone.example',
      TENSORONE_MAX_RPS: '0',
    },
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('worker: invalid configuration');
  expect(r.stderr).toContain('TEMPORAL_ADDRESS: must be host:port');
  expect(r.stderr).toContain('WORKER_MAX_CONCURRENT_ACTIVITIES');
  expect(r.stderr).toContain('TENSORONE_API_KEY: is required when TENSORONE_BASE_URL is set');
  expect(r.stderr).toContain('TENSORONE_MAX_RPS: must be a number of requests per second above 0');
});

it.each(['SIGTERM', 'SIGINT'] as const)(
  'the worker process exits by itself within its shutdown grace after %s (connection closed)',
  async (signal) => {
    const grace = 2;
    const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repo,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: bed.dev.address,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('shutdown'),
        WORKER_SHUTDOWN_GRACE_SECONDS: String(grace),
        SANDBOX_URL: bed.sandbox.url,
        // The run's prebuilt bundle, as production runs `npm run build`'s: no webpack at start.
        ...workerBundleEnv(),
      },
    });
    let stderr = '';
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
      (resolve) => worker.on('exit', (code, sig) => resolve({ code, signal: sig, at: Date.now() })),
    );
    try {
      // Starting takes a while on a busy machine (bundling the workflows, without a prebuilt bundle).
      for (let i = 0; i < 240 && !stderr.includes('worker polling'); i++)
        await new Promise((r) => setTimeout(r, 500));
      expect(stderr).toContain('worker polling');
      const sentAt = Date.now();
      worker.kill(signal);
      const exit = await Promise.race([
        exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), (grace + 8) * 1000)),
      ]);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit!.at - sentAt).toBeLessThan((grace + 8) * 1000);
      expect(stderr).toContain('worker: stopped');
    } finally {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    }
  },
  180_000,
);

describe('bad input is refused with exit 2 before anything starts', () => {
  /** Ids of the workflows on this file's task queue (other tests here start some) that contain `part`. */
  const startedWith = async (part: string): Promise<string[]> => {
    const ids: string[] = [];
    for await (const w of bed.dev.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
      if (w.workflowId.includes(part)) ids.push(w.workflowId);
    return ids;
  };
  /** `main()` of the CLI in this process: the same parsing, without a process's start-up cost. */
  const inProcess = (args: string[]) => runCliInProcess(args);
  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('pipeline files: too large, not UTF-8, bad YAML/JSON, unreadable, out-of-bounds fields', async () => {
    const valid = fs.readFileSync(pipelineFile('bytes-ok'), 'utf8');
    const nonUtf8 = Buffer.concat([
      Buffer.from(valid.replace('name: bytes-ok', 'name: not-utf8')),
      Buffer.from('# caf'),
      Buffer.from([0xe9]), // Latin-1 "é"
      Buffer.from('\n'),
    ]);
    const nonUtf8Offset = nonUtf8.length - 2;
    const nonUtf8Line = nonUtf8.subarray(0, nonUtf8Offset).toString('latin1').split('\n').length;
    // [file, what stderr says, spawn the CLI (else in process)]
    const cases: [file: string, expected: (string | RegExp)[], spawned?: 'spawned'][] = [
      // 10 MB ended in RESOURCE_EXHAUSTED after 39 s (exit 1); now it is never read.
      [
        write('huge.yaml', valid + `# ${'x'.repeat(10 * 1024 * 1024)}\n`),
        ['huge.yaml is invalid', '(file): is 10241 KiB, more than the 256 KiB a pipeline file may have'],
        'spawned',
      ],
      [
        write('not-utf8.yaml', nonUtf8),
        [`(file): is not UTF-8 text: byte ${nonUtf8Offset} (line ${nonUtf8Line}) is 0xe9`],
        'spawned',
      ],
      [
        write('broken.yaml', 'name: [unclosed\n'),
        ['broken.yaml is invalid', '(file): is not valid YAML'],
        'spawned',
      ],
      [write('broken.json', '{"name": }'), ['broken.json is invalid', '(file): is not valid JSON']],
      [path.join(tmp, 'missing.yaml'), [`no such file: ${path.join(tmp, 'missing.yaml')}`]],
      [tmp, ['(file): cannot be read (EISDIR)']],
      [
        pipelineFile('big-config', (p) => {
          (p.train as { config: Record<string, unknown> }).config.baseModel = 'n'.repeat(100 * 1024);
        }),
        [/train\.config: is 10\d KiB as JSON, more than the 64 KiB allowed/],
      ],
      [
        pipelineFile(
          'forever-approval',
          (p) => ((p.gate as { approval: { timeout: string } }).approval.timeout = '100000000d'),
        ),
        ['gate.approval.timeout: must be between 1m and 30d, got "100000000d"'],
        'spawned',
      ],
      [
        pipelineFile('zero-freshness', (p) => ((p.supervision as Record<string, string>).freshness = '0s')),
        ['supervision.freshness: must be between 1s and 1d, got "0s"'],
      ],
    ];
    const before = bed.sandbox.state.jobs.size;
    const processes = cases.map(([file, , spawned]) => (spawned ? cli(['run', file]) : undefined));
    // One at a time: each captures this process's stderr while it runs.
    const inline: ({ code: number | null; stderr: string } | undefined)[] = [];
    for (const [file, , spawned] of cases) inline.push(spawned ? undefined : await inProcess(['run', file]));
    const results = await Promise.all(processes.map((p, i) => p ?? inline[i]!));
    results.forEach((r, i) => {
      expect({ file: cases[i][0], code: r.code }).toEqual({ file: cases[i][0], code: 2 });
      for (const e of cases[i][1]) expect(r.stderr).toMatch(e);
    });
    expect(bed.sandbox.state.jobs.size).toBe(before);
    for (const name of ['bytes-ok', 'not-utf8', 'big-config', 'forever-approval', 'zero-freshness'])
      expect(await startedWith(`pipeline-${name}`)).toEqual([]);
  }, 240_000);

  const flagSchedule = `flags-${taskQueue}`;
  const badFlags: [args: string[], expected: string][] = [
    [['supervise', '--max-cost', 'abc', 'job_flags'], "option '--max-cost <n>' argument 'abc' is invalid"],
    [['supervise', '--max-cost', '0', 'job_flags'], 'must be an amount above 0'],
    [['supervise', '--max-cost', '-5', 'job_flags'], "'--max-cost <n>' argument '-5' is invalid"],
    [['supervise', '--max-cost', '', 'job_flags'], "'--max-cost <n>' argument '' is invalid"],
    [['supervise', '--report-every', '0s', 'job_flags'], '--report-every <duration>'],
    [['supervise', '--freshness', '2d', 'job_flags'], 'must be between 1s and 1d, got "2d"'],
    [['supervise', '--stall-after', 'soon', 'job_flags'], '--stall-after <duration>'],
    [['supervise', '--resume-budget', '-1', 'job_flags'], '--resume-budget <n>'],
    [['supervise', '--resume-budget', '1.5', 'job_flags'], 'must be a whole number from 0 to 20'],
    [['supervise', '--provider', 'aws', 'job_flags'], "'--provider <name>' argument 'aws' is invalid"],
    [['supervise', 'job flags'], "value 'job flags' is invalid for argument 'jobId'"],
    [['cleanup', '--job', 'job_flags', '--keep', '-1'], "'--keep <n>' argument '-1' is invalid"],
    [['cleanup', '--job', 'job_flags', '--max-deletes', '0'], 'must be a whole number from 1 to 100000'],
    [['cleanup', '--job', 'job_flags', '--keep-days', 'week'], '--keep-days <n>'],
    [['cleanup', '--job', 'job_flags', '../etc'], "'--job <jobId...>' argument '../etc' is invalid"],
    [
      ['schedule', 'cleanup', 'create', '--every', '0s', '--id', flagSchedule],
      'must be between 1m and 366d, got "0s"',
    ],
    [
      ['schedule', 'cleanup', 'create', '--keep', '0x10', '--id', flagSchedule],
      "'--keep <n>' argument '0x10' is invalid",
    ],
    [
      ['schedule', 'cleanup', 'create', '--status', 'running', '--id', flagSchedule],
      "'--status <status>' argument 'running'",
    ],
    [['reconcile', '--grace', '10s'], "'--grace <duration>' argument '10s' is invalid"],
    [['reconcile', '--grace', 'soon'], "'--grace <duration>' argument 'soon' is invalid"],
    [['reconcile', '--grace', '31d', '--dry-run'], 'must be between 1m and 30d, got "31d"'],
    [['reconcile', '--dry-run', 'yes'], "too many arguments for 'reconcile'"],
    [
      ['schedule', 'reconcile', 'create', '--grace', '0s', '--id', flagSchedule],
      "'--grace <duration>' argument '0s' is invalid",
    ],
    [
      ['schedule', 'reconcile', 'create', '--every', '30s', '--id', flagSchedule],
      "'--every <duration>' argument '30s' is invalid",
    ],
    [['list', '--limit', '0'], "'--limit <n>' argument '0' is invalid"],
    [['list', '--phase', 'sleeping'], "'--phase <phase>' argument 'sleeping' is invalid"],
    [['supervise', '--max-cost', '-1', 'job_flags'], "'--max-cost <n>' argument '-1' is invalid"],
    [['supervise', ''], "value '' is invalid for argument 'jobId'"],
    [['approve', ''], 'workflowId must not be empty'],
    [
      ['approve', 'pipeline-flags', '--checkpoint', ''],
      "'--checkpoint <checkpointId>' argument '' is invalid",
    ],
    [['approve', 'pipeline-flags', '--reason', ' '], '--reason must not be empty'],
    [['reject', 'pipeline-flags', '--by', 'x'.repeat(101)], '--by must be at most 100 characters'],
    [['pin', 'pipeline-flags', 'ckpt flags'], "value 'ckpt flags' is invalid for argument 'checkpointId'"],
    [['unpin', 'pipeline-flags', ''], "value '' is invalid for argument 'checkpointId'"],
    [['cancel', ' pipeline-flags'], 'workflowId must not have control characters or surrounding spaces'],
    [['status', ''], 'workflowId must not be empty'],
    [['watch', ''], 'workflowId must not be empty'],
    [['report', ''], 'workflowId must not be empty'],
    [
      ['schedule', 'cleanup', 'create', '--cron', 'every day', '--id', flagSchedule],
      'must be a cron expression of five fields',
    ],
    [['schedule', 'cleanup', 'create', '--id', ''], '--id must not be empty'],
    [
      ['schedule', 'cleanup', 'create', '--every', '1d', '--cron', '0 3 * * *', '--id', flagSchedule],
      "option '--cron <expr>' cannot be used with option '--every <duration>'",
    ],
    [
      ['schedule', 'cleanup', 'create', '--name-prefix', '', '--id', flagSchedule],
      '--name-prefix must not be empty',
    ],
  ];
  const nothingStarted = async () => {
    // Every job id and schedule id in the table contains "flags".
    expect(await startedWith('flags')).toEqual([]);
    await expect(bed.dev.client.schedule.getHandle(flagSchedule).describe()).rejects.toThrow(/not found/i);
  };

  it('flags, the CLI as a process: --max-cost abc, --report-every 0s, negative numbers … → exit 2 naming the flag, nothing started', async () => {
    const spawned = badFlags.filter(([args, expected]) =>
      ["'abc'", '--report-every', "'-1'", "'-5'", "'0s'", "argument '0'"].some(
        (s) => expected.includes(s) || args.includes(s),
      ),
    );
    expect(spawned.length).toBeGreaterThanOrEqual(5);
    const results = await Promise.all(spawned.map(([args]) => cli(args)));
    results.forEach((r, i) => {
      expect({ args: spawned[i][0], code: r.code }).toEqual({ args: spawned[i][0], code: 2 });
      expect(r.stderr).toContain(spawned[i][1]);
    });
    await nothingStarted();
  }, 240_000);

  it('`npx starter` runs the CLI from the repo (the package.json bin entry): --max-cost abc exits 2 naming the flag', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
      bin: { starter: string };
    };
    expect(fs.statSync(path.join(repo, pkg.bin.starter)).mode & 0o111).not.toBe(0); // executable
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('npx', ['--no-install', 'starter', 'supervise', '--max-cost', 'abc', 'job_flags'], {
        cwd: repo,
        env: cliEnv(),
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--max-cost <n>' argument 'abc' is invalid");
    await nothingStarted();
  }, 60_000);

  it('a cron expression the server cannot read → exit 2 with its reason, no schedule created', async () => {
    // Five fields the flag accepts, but no minute 99: Temporal refuses the schedule spec.
    const r = await cli(['schedule', 'cleanup', 'create', '--cron', '99 * * * *', '--id', flagSchedule]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 2,
      stderr: 'error: invalid schedule (cron "99 * * * *"): Minute is not in range [0-59]\n',
    });
    await nothingStarted();
  }, 60_000);

  it.each(badFlags)(
    'flags, in process: %j → exit 2 naming the flag, nothing started',
    async (args, expected) => {
      const r = await inProcess(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(expected);
      await nothingStarted();
    },
  );

  it('good flags arrive as numbers: cleanup --keep 1 --max-deletes 2 deletes exactly 2', async () => {
    const { jobId } = await sandboxAdmin(bed.sandbox.url).seedCompletedJob('flags-cleanup', 8);
    const r = await cli(['cleanup', '--job', jobId, '--keep', '1', '--max-deletes', '2', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { deletedCount: number; truncated: boolean };
    expect(result).toMatchObject({ deletedCount: 2, truncated: true });
  });
});

describe('progress that moves, without history', () => {
  let slow: Sandbox;
  let slowWorker: Worker;
  let slowRunning: Promise<void>;
  const slowQueue = uniqueTaskQueue('cli-watch');
  beforeAll(async () => {
    // Epochs long enough to tell apart; jobs stay queued until the test lets them run (below).
    slow = await startSandbox({ epochMs: 1000, queueMs: 10 * 60_000, deployMs: 150 });
    slowWorker = await createWorker({
      connection: bed.dev.nativeConnection,
      taskQueue: slowQueue,
      providers: createProviderClients(slow.endpoints),
      settings: testWorkerSettings(),
      overrides: { shutdownGraceTime: 0 },
    });
    slowRunning = slowWorker.run();
  });
  afterAll(async () => {
    slowWorker.shutdown();
    await slowRunning;
    await slow.close();
  });

  it('`watch` of an 8-epoch job prints at least 6 distinct epochs while the supervision writes no event per look; it ends with endpoint, checkpoint and cost', async () => {
    const id = 'pipeline-cli-watched';
    await bed.dev.client.workflow.start(fineTuneToDeploy, {
      taskQueue: slowQueue,
      workflowId: id,
      args: [
        pipelineInput('cli-watched', {
          train: tensoroneTrain({ config: { training: { epochs: 8 } } }),
          supervision: {
            freshness: '1s',
            minInterval: '200ms',
            stallAfter: '20s',
            resumeBudget: 1,
            unknownStatusGrace: '20s',
          },
          deploy: { target: 'tensorone-endpoint', gpuIds: ['a100'], workerCount: 1, timeout: '30s' },
        }),
      ],
    });
    const child = spawn(tsx, ['src/starter.ts', 'watch', id], {
      cwd: repo,
      env: { ...cliEnv(), TEMPORAL_TASK_QUEUE: slowQueue },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // The job trains only once the CLI process is up and showing it (its start takes seconds under load).
    for (let i = 0; i < 240 && !/^training /m.test(stderr); i++) await new Promise((r) => setTimeout(r, 250));
    const job = [...slow.state.jobs.values()].find((j) => j.name.includes('cli-watched'))!;
    job.runStartMs = Date.now();

    // Meanwhile the Web UI's view of the pending watch: a poll's log line as "Last Failure", no stack.
    let lastFailure: { message?: string | null; stackTrace?: string | null } | undefined;
    for (let i = 0; i < 60 && !lastFailure?.message?.includes('running epoch'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      const child = (await bed.dev.client.workflow.getHandle(id).describe()).raw.pendingChildren?.[0];
      if (!child?.workflowId) continue;
      const watch = (
        await bed.dev.client.workflow.getHandle(child.workflowId).describe()
      ).raw.pendingActivities?.find((a) => a.activityType?.name === 'watchTrainingJob');
      lastFailure = watch?.lastFailure ?? undefined;
    }
    expect(lastFailure?.message).toMatch(
      /^polling, not failing: look \d+ at job \S+: running epoch \d+\/8 step/,
    );
    expect(lastFailure?.stackTrace ?? '').toBe('');

    expect(await exited).toBe(0);
    const epochs = new Set([...stderr.matchAll(/^training epoch (\d+)\/8 /gm)].map((m) => Number(m[1])));
    expect(epochs.size).toBeGreaterThanOrEqual(6);
    expect(stdout).toMatch(new RegExp(`^${id}: deployed\\n  serving: tensorone-endpoint ep_\\S+ http`, 'm'));
    expect(stdout).toMatch(
      /^ {2}checkpoint ckpt_\S+ \(validationLoss [\d.]+\); deleted \d+ old checkpoints; cost \$\d+\.\d\d$/m,
    );

    // The looks cost no history: the supervision scheduled a handful of watches, not one per look.
    const supervision = (await bed.dev.client.workflow.getHandle(id).fetchHistory()).events!.find(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
    )!.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!;
    const events = (await bed.dev.client.workflow.getHandle(supervision).fetchHistory()).events!;
    const watches = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchTrainingJob',
    );
    expect(watches.length).toBeLessThanOrEqual(4);
    expect(epochs.size).toBeGreaterThan(watches.length);
  }, 120_000);

  it('a CLI that meets encrypted payloads without keys says which variable to set (exit 2)', async () => {
    const codec = new AesGcmCodec(new Map([['k1', Buffer.alloc(32, 3)]]), 'k1');
    const encrypted = new Client({
      connection: bed.dev.client.connection,
      dataConverter: { payloadCodecs: [codec] },
    });
    const id = 'pipeline-cli-encrypted-no-key';
    // No worker on this queue: only the start event's input, encrypted.
    const handle = await encrypted.workflow.start(fineTuneToDeploy, {
      taskQueue: uniqueTaskQueue('nobody'),
      workflowId: id,
      args: [pipelineInput('cli-encrypted-no-key')],
    });
    try {
      const { code, stderr } = await cli(['report', id, '--json'], { FTP_PAYLOAD_KEYS: '' });
      expect(code).toBe(2);
      expect(stderr).toContain('set FTP_PAYLOAD_KEYS');
      expect(stderr).not.toContain('Unknown encoding');
    } finally {
      await handle.terminate('test done');
    }
  }, 60_000);
});

describe('the latest look laid over the workflow status', () => {
  const reported = {
    jobId: 'job_1',
    status: 'running',
    rawStatus: 'running',
    epoch: 2,
    totalEpochs: 8,
    step: 900,
    metrics: { loss: 1.9 },
    bestLoss: 1.9,
    cost: 16,
    checkpointsSeen: 2,
    resumes: 0,
    polls: 3,
    runs: 1,
    updatedAt: '2026-11-26T12:00:00.000Z',
  };
  const look = {
    status: 'running' as const,
    epoch: 5,
    step: 2100,
    loss: 0.87,
    cost: 35,
    at: '2026-11-26T12:00:05.000Z',
  };

  it("a newer look moves epoch, step, loss and cost; the workflow's own counts stay", () => {
    expect(withLatestLook(reported, look)).toMatchObject({
      epoch: 5,
      totalEpochs: 8,
      step: 2100,
      metrics: { loss: 0.87 },
      bestLoss: 0.87,
      cost: 35,
      checkpointsSeen: 2,
      polls: 3,
      updatedAt: look.at,
    });
  });

  it('a look as old as the last report, or older, changes nothing; no look, nothing', () => {
    expect(withLatestLook(reported, { ...look, at: reported.updatedAt })).toBe(reported);
    expect(withLatestLook(reported, { ...look, at: '2026-11-26T11:59:59.000Z' })).toBe(reported);
    expect(withLatestLook(reported, undefined)).toBe(reported);
    expect(withLatestLook(undefined, undefined)).toBeUndefined();
  });

  it('before the first report, the look alone', () => {
    expect(withLatestLook(undefined, look)).toMatchObject({ status: 'running', epoch: 5, cost: 35 });
  });
});

it('a Temporal server that is not there is named with its address and what to do next (exit 1)', async () => {
  // Port 1 on loopback: nothing listens there, the connection is refused until the SDK's deadline.
  const r = await cli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('could not reach Temporal at 127.0.0.1:1 (namespace default)');
  expect(r.stderr).toContain('Is the server running?');
  expect(r.stderr).toContain('TEMPORAL_ADDRESS');
}, 60_000);
