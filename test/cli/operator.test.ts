import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import type { PipelineResult } from '../../src/workflows/pipeline/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { uniqueTaskQueue } from '../harness/temporal';
import { useCliBed } from '../harness/cli-bed';
import { fineTuneToDeploy } from '../../src/workflows';
import { testWorkerSettings } from '../harness/workflow-bundles';

const repo = path.resolve(__dirname, '../..');
const KEY = Buffer.alloc(32, 7);
const bed = useCliBed({ name: 'operator', sandbox: { epochMs: 120, queueMs: 40, deployMs: 120 } });
let hook: {
  server: http.Server;
  url: string;
  received: { kind: string; phase: string; text: string }[];
  failNext: number;
};

beforeAll(async () => {
  const received: { kind: string; phase: string; text: string }[] = [];
  const state = { failNext: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (state.failNext > 0) {
        state.failNext -= 1;
        return void res.writeHead(500).end();
      }
      received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secret`,
    received,
    get failNext() {
      return state.failNext;
    },
    set failNext(n) {
      state.failNext = n;
    },
  };
});
afterAll(async () => {
  hook.server.close();
});

const fastSupervision = {
  freshness: '1s',
  minInterval: '200ms',
  stallAfter: '20s',
  resumeBudget: 1,
  unknownStatusGrace: '20s',
};
const shortTrain = tensoroneTrain({ config: { training: { epochs: 3 } } });

/** Runs one pipeline on the dev server with a worker (and client) using the given options. */
async function runPipeline<T = undefined>(
  name: string,
  opts: { webhookUrl?: string; codec?: AesGcmCodec; andThen?: (taskQueue: string) => Promise<T> },
): Promise<{ result: PipelineResult; taskQueue: string; then?: T }> {
  const taskQueue = uniqueTaskQueue(name);
  const dataConverter = opts.codec ? { payloadCodecs: [opts.codec] } : undefined;
  const worker = await bed.createWorker(taskQueue, {
    settings: { ...testWorkerSettings(), NOTIFY_WEBHOOK_URL: opts.webhookUrl },
    dataConverter,
  });
  const client = new Client({ connection: bed.dev.client.connection, dataConverter });
  const input = pipelineInput(name, {
    train: shortTrain,
    supervision: fastSupervision,
    deploy: { target: 'tensorone-endpoint', timeout: '30s' },
  });
  // `andThen` runs while the worker still runs: queries of the workflows it started need it.
  return worker.runUntil(async () => {
    const result = await client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue,
      workflowId: `pipeline-${name}`,
    });
    return { result, taskQueue, then: await opts.andThen?.(taskQueue) };
  });
}

it('a webhook receives the phase changes in order and the final result; a failing webhook never fails the pipeline', async () => {
  hook.failNext = 4; // 'training' fails all three of its tries and is dropped; 'comparing' fails once, then arrives
  const { result } = await runPipeline('notified', { webhookUrl: hook.url });
  expect(result.outcome).toBe('deployed');
  const phases = hook.received.filter((n) => n.kind === 'phase').map((n) => n.phase);
  expect(phases).toEqual(['comparing', 'gating', 'deploying', 'smoke-testing', 'cleaning-up', 'completed']);
  expect(hook.received.at(-1)).toMatchObject({ kind: 'result' });
  expect(hook.received.at(-1)!.text).toContain('serving: tensorone-endpoint');
});

it('with encryption on, the server stores only ciphertext: the fetched history holds no plaintext of the input', async () => {
  const codec = new AesGcmCodec(new Map([['k1', KEY]]), 'k1');
  const { result } = await runPipeline('encrypted', { codec });
  expect(result.outcome).toBe('deployed');
  const raw = JSON.stringify(await bed.dev.client.workflow.getHandle('pipeline-encrypted').fetchHistory());
  expect(raw).not.toContain('ds_support_tickets');
  expect(raw).not.toContain(Buffer.from('ds_support_tickets').toString('base64').slice(0, 16));
  expect(raw).not.toContain('Llama-2-7b');
  // The same history decodes with the key (what the codec server does for the Web UI).
  const started = (await bed.dev.client.workflow.getHandle('pipeline-encrypted').fetchHistory()).events![0]
    .workflowExecutionStartedEventAttributes!.input!.payloads!;
  const [decoded] = await codec.decode(started);
  expect(Buffer.from(decoded.data!).toString()).toContain('ds_support_tickets');
});

it('`report` of a finished pipeline draws one point per checkpoint and marks the chosen one', async () => {
  const { result } = await runPipeline('reported', {});
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-report-')), 'report.html');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      path.join(repo, 'node_modules/.bin/tsx'),
      ['src/starter.ts', 'report', 'pipeline-reported', '-o', file],
      {
        cwd: repo,
        env: { ...process.env, TEMPORAL_ADDRESS: bed.dev.address },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    child.on('close', resolve);
  });
  expect(code).toBe(0);
  const html = fs.readFileSync(file, 'utf8');
  const points = [...html.matchAll(/<circle class="point (\w+)" data-checkpoint="([^"]+)"/g)];
  expect(points).toHaveLength(3); // one per epoch checkpoint
  const chosen = points.filter((p) => p[1] === 'chosen').map((p) => p[2]);
  expect(chosen).toEqual([result.checkpoint!.checkpointId]);
  const deleted = points
    .filter((p) => p[1] === 'deleted')
    .map((p) => p[2])
    .sort();
  expect(deleted).toEqual(result.deletedCheckpoints.map((d) => d.checkpointId).sort());
  expect(html).not.toMatch(/<script|(?:src|href)="https?:/); // self-contained, readable offline
  // Epoch ticks under the chart, one per epoch.
  expect([...html.matchAll(/<text class="tick-label"[^>]*>(\d+)<\/text>/g)].map((m) => m[1])).toEqual([
    '1',
    '2',
    '3',
  ]);
  // The same count the CLI shows (`status`: "compared N of M"), the endpoint and the cost.
  expect(html).toContain(`<dt>Checkpoints</dt><dd>${result.checkpoint!.totalCheckpoints} checkpoints`);
  expect(html).toContain(`${result.deployment!.id} (active)`);
  expect(html).toContain(`$${result.cost!.toFixed(2)}`);
  // The checkpoint table: a row per checkpoint the pipeline listed, the chosen one marked.
  const rows = [...html.matchAll(/<tr class="(\w*)"><td>([^<]+)<\/td>/g)];
  expect(rows).toHaveLength(result.checkpoint!.totalCheckpoints!);
  expect(rows.filter((r) => r[1] === 'chosen').map((r) => r[2])).toEqual([result.checkpoint!.checkpointId]);
});

it('`rollback` to a former deployment deleted by hand at the provider is refused (exit 2), naming it and why; the champion keeps serving', async () => {
  const taskQueue = uniqueTaskQueue('rollback-gone');
  const worker = await bed.createWorker(taskQueue);
  const input = pipelineInput('rollback-gone', {
    train: shortTrain,
    supervision: fastSupervision,
    deploy: { target: 'tensorone-endpoint', timeout: '30s', retireAfter: '1h' },
  });
  const { former, champion, rollback, slot } = await worker.runUntil(async () => {
    // The same pipeline file run twice: the second run's deployment replaces the first, which drains.
    const run = () =>
      bed.dev.client.workflow.execute(fineTuneToDeploy, {
        args: [input],
        taskQueue,
        workflowId: 'pipeline-rollback-gone',
      });
    const former = (await run()).deployment!.id;
    const champion = (await run()).deployment!.id;
    // Deleted by hand at the provider while it drains.
    bed.sandbox.state.endpoints.delete(former);
    const rollback = await starter(['rollback', 'rollback-gone'], taskQueue);
    const slot = await starter(['slots', 'rollback-gone', '--json'], taskQueue);
    return { former, champion, rollback, slot };
  });
  expect(rollback.code).toBe(2);
  expect(rollback.stdout).not.toContain('serves again');
  expect(rollback.stderr).toContain(`rollback refused: the former deployment tensorone-endpoint ${former}`);
  expect(rollback.stderr).toContain(`tensorone-endpoint ${champion} keeps serving`);
  expect(JSON.parse(slot.stdout)).toMatchObject({
    champion: { deploymentId: champion },
    draining: [{ deploymentId: former }],
  });
  expect(bed.sandbox.state.endpoints.has(champion)).toBe(true);
});

/** Runs the starter CLI against the dev server and the given task queue; its exit code and output. */
const starter = (args: string[], taskQueue: string) => bed.cli(args, { TEMPORAL_TASK_QUEUE: taskQueue });

it('`slots` shows what serves a pipeline name; `rollback` with nothing to roll back to is refused (exit 2) with the reason; an unknown slot is not found (exit 3)', async () => {
  const { result, then } = await runPipeline('slotted', {
    andThen: (taskQueue) =>
      Promise.all([
        starter(['slots'], taskQueue),
        starter(['slots', 'slotted'], taskQueue),
        starter(['slots', 'slotted', '--json'], taskQueue),
        starter(['rollback', 'slotted'], taskQueue),
        starter(['rollback', 'Pipeline-Slotted'], taskQueue),
        starter(['slots', 'never-deployed'], taskQueue),
      ]),
  });
  const [table, one, json, rollback, badName, unknown] = then!;
  const id = result.deployment!.id;
  // The list comes from visibility, which may lag a moment behind the promotion.
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^NAME\s+SERVING\s+SINCE \(UTC\)\s+CHECKPOINT/);
  expect(one.code).toBe(0);
  expect(one.stdout).toContain(`serving:  tensorone-endpoint ${id}`);
  expect(one.stdout).toContain(`checkpoint ${result.checkpoint!.checkpointId}`);
  expect(one.stdout).toMatch(new RegExp(`promoted\\s+${id} by pipeline-slotted`));
  expect(JSON.parse(json.stdout).champion).toMatchObject({ deploymentId: id, jobId: result.jobId });
  expect(rollback.code).toBe(2);
  expect(rollback.stderr).toContain(
    `slot slotted has had one deployment only (${id}): nothing to roll back to`,
  );
  expect(badName.code).toBe(2);
  expect(badName.stderr).toMatch(/must be a pipeline name/);
  expect(unknown.code).toBe(3);
  expect(unknown.stderr).toContain('not found: no serving slot never-deployed');
});
