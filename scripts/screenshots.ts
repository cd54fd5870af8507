/**
 * `npm run screenshots`: pictures of what an operator sees, taken in a real browser (headless Chromium,
 * Debian package `chromium`, installed here when missing). On a dev server of its own (Web UI on, its
 * codec endpoint set to a codec server started here with a throwaway key, so every payload is
 * encrypted at the server and decoded in the browser), it runs the example pipeline to a serving
 * endpoint and the gated example up to its approval gate, writes the report, and captures:
 *
 *   docs/ui-pipeline-completed.png   the Web UI's page of the finished pipeline (summaries, decoded input)
 *   docs/ui-supervision-watch.png    its supervising child: the watch's looks, each a summarized step
 *   docs/ui-watch-pending.png        that watch while the job trains: attempts, last look, heartbeat details
 *   docs/ui-cleanup-deletes.png      its cleanup child: one "delete N checkpoints …" step per batch
 *   docs/ui-pipeline-awaiting-approval.png   the gated pipeline waiting at its approval timer
 *   docs/report.png                  `starter report` of the finished pipeline
 *   docs/console-fleet.png           the pipeline console's fleet: pipelines by phase, slots, supervisions, cleanups
 *   docs/console-pipeline-training.png   the console's page of the example while it trains: the live curve
 *   docs/console-awaiting-approval.png   a retrain of the example at its approval gate: candidate vs champion
 *   docs/console-slots.png           the console's serving slots
 *
 * It also prints the CLI's own output of the example run (what docs/getting-started.md shows).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { BrowserPage, ensureChromium } from './chromium';
import { devServerTuningArgs, startDevServer } from '../engine/dev-server-tuning';
import { codecFromEnv } from '../src/codec/aes-gcm-codec';
import { startCodecServer, uiOrigins } from '../src/codec/codec-server';
import { createProviderClients } from '../src/providers/config';
import { startSandbox } from '../sandbox/server';
import { statusQuery } from '../src/workflows/pipeline/contract';
import { startConsole } from '../src/console/server';
import { startOrAttachPipeline } from '../src/cli/start-pipeline';
import { parsePipelineInput } from '../src/domain/pipeline-input';
import YAML from 'yaml';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { createWorker, defaultWorkerSettings } from '../src/worker-factory';
import { freePort } from '../engine/free-port';

const repo = path.resolve(__dirname, '..');
const docs = path.join(repo, 'docs');
const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * One PNG of a page as a browser shows it `waitMs` after navigating (real time: a running workflow's
 * page keeps a long poll open, so Chromium's --screenshot with a virtual time budget never fires).
 * Asynchronous: the codec server the page calls runs in this process.
 */
async function capture(
  chromium: string,
  url: string,
  file: string,
  size: [number, number],
  waitMs = 8_000,
): Promise<void> {
  const page = await BrowserPage.launch(chromium, size);
  try {
    await page.send('Page.navigate', { url });
    await new Promise((r) => setTimeout(r, waitMs));
    await page.screenshot(file);
    say(`wrote ${path.relative(repo, file)}`);
  } finally {
    await page.close();
  }
}

/** The CLI as its own process (what a user runs), its output collected. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(repo, 'node_modules/.bin/tsx'), ['src/starter.ts', ...args], {
      cwd: repo,
      env,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The pending watch of the example's supervision while the job trains: its looks as the UI shows them. */
async function captureWatchWhileTraining(client: Client, chromium: string, uiUrl: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const pipeline = await client.workflow
      .getHandle('pipeline-support-assistant')
      .describe()
      .catch(() => undefined);
    const child = pipeline?.raw.pendingChildren?.[0];
    if (!child?.workflowId) continue;
    const supervision = await client.workflow.getHandle(child.workflowId).describe();
    const watch = supervision.raw.pendingActivities?.find((a) => a.activityType?.name === 'watchTrainingJob');
    if (!/running epoch [3-9]/.test(watch?.lastFailure?.message ?? '')) continue;
    await capture(
      chromium,
      `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(child.workflowId)}/${supervision.runId}/pending-activities`,
      path.join(docs, 'ui-watch-pending.png'),
      [1440, 900],
      4_000,
    );
    return;
  }
  throw new Error('the example job was never seen training with a pending watch');
}

/** The console's page of the example while it trains, once the live curve has several epochs. */
async function captureConsoleWhileTraining(
  client: Client,
  chromium: string,
  consoleUrl: string,
): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const s = await client.workflow
      .getHandle('pipeline-support-assistant')
      .query(statusQuery)
      .catch(() => undefined);
    if (s?.phase === 'training') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const page = await BrowserPage.launch(chromium, [1440, 1250]);
  try {
    await page.goto(`${consoleUrl}/pipelines/pipeline-support-assistant`);
    await page.waitFor(`document.querySelectorAll('#curve .live-point').length >= 5`, 60_000);
    await page.screenshot(path.join(docs, 'console-pipeline-training.png'));
    say('wrote docs/console-pipeline-training.png');
  } finally {
    await page.close();
  }
}

/**
 * A retrain of the example under its own name, gated: it waits for approval with the example's
 * deployment as the champion it is compared against. Answers its workflow id.
 */
async function startGatedRetrain(client: Client, taskQueue: string): Promise<string> {
  const spec = YAML.parse(fs.readFileSync(path.join(repo, 'examples/pipeline-gated.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  spec.name = 'support-assistant';
  // Longer than the example, so the candidate beats the champion the gate compares it with.
  (spec.train as { config: { training: { epochs: number } } }).config.training.epochs = 16;
  const { handle } = await startOrAttachPipeline(client, parsePipelineInput(spec), {
    taskQueue,
    forceNew: true,
  });
  for (let i = 0; i < 180; i++) {
    const s = await handle.query(statusQuery);
    if (['awaiting-approval', 'completed', 'failed', 'cancelled'].includes(s.phase)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return handle.workflowId;
}

async function main(): Promise<void> {
  const chromium = ensureChromium();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    // A throwaway key unless one is given: the pictures must show payloads decoded by the codec server.
    process.env.FTP_PAYLOAD_KEYS ||= `shots:${crypto.randomBytes(32).toString('base64')}`;
    const codec = codecFromEnv()!;
    const [uiPort, codecPort, sandboxPort] = [await freePort(), await freePort(), await freePort()];
    const uiUrl = `http://localhost:${uiPort}`;
    const codecServer = await startCodecServer(codec, {
      port: codecPort,
      allowedOrigins: uiOrigins([uiUrl]),
    });
    stops.push(() => new Promise((r) => codecServer.close(r)));
    const codecEndpoint = `http://127.0.0.1:${codecPort}`;

    const engines = await ensureEngines({ testServer: false, log: say });
    const dev = await startDevServer(engines.devServer!, {
      ip: '127.0.0.1',
      ui: true,
      uiPort,
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
      extraArgs: [...devServerTuningArgs(), '--ui-codec-endpoint', codecEndpoint],
    });
    stops.push(() => dev.teardown());
    const address = dev.address;
    say(`dev server ${address}, Web UI ${uiUrl}, codec server ${codecEndpoint}`);

    // The main job's sandbox clock: an epoch every 2 s.
    const sandbox = await startSandbox({ port: sandboxPort, epochMs: 2000, queueMs: 500, deployMs: 1500 });
    stops.push(() => sandbox.close());
    const taskQueue = 'finetune-pipelines';
    const dataConverter = { payloadCodecs: [codec] };
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await createWorker({
      connection: nativeConnection,
      taskQueue,
      providers: createProviderClients(sandbox.endpoints),
      settings: defaultWorkerSettings(),
      dataConverter,
    });
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
      await nativeConnection.close();
    });
    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection, dataConverter });

    const env = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: taskQueue };
    // The gated example first (it waits), then the example to its end, as a user runs it (piped).
    const gated = await cli(['run', 'examples/pipeline-gated.yaml', '--no-follow'], env);
    if (gated.code !== 0) throw new Error(`gated run failed:\n${gated.output}`);
    const pipelineConsole = await startConsole(client, {
      port: await freePort(),
      host: '127.0.0.1',
      allowedHosts: [],
      uiUrl,
      namespace: 'default',
      taskQueue,
      refreshMs: 1000,
      by: 'operator',
    });
    stops.push(() => pipelineConsole.close());
    fs.mkdirSync(docs, { recursive: true });
    const running = cli(['run', 'examples/pipeline.yaml'], env);
    await Promise.all([
      captureWatchWhileTraining(client, chromium, uiUrl),
      captureConsoleWhileTraining(client, chromium, pipelineConsole.url),
    ]);
    const run = await running;
    say(`\n---- starter run examples/pipeline.yaml (piped) ----\n${run.output}----`);
    if (run.code !== 0) throw new Error('the example pipeline did not deploy');

    const gatedId = 'pipeline-support-assistant-gated';
    for (let i = 0; i < 120; i++) {
      const s = await client.workflow.getHandle(gatedId).query(statusQuery);
      if (s.phase === 'awaiting-approval') break;
      await new Promise((r) => setTimeout(r, 1000));
    }

    fs.mkdirSync(docs, { recursive: true });
    const reportFile = path.join(repo, '.data', 'reports', 'pipeline-support-assistant.html');
    const report = await cli(['report', 'pipeline-support-assistant', '--out', reportFile], env);
    if (report.code !== 0) throw new Error(`report failed:\n${report.output}`);

    const page = (id: string) => `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}`;
    const done = await client.workflow.getHandle('pipeline-support-assistant').describe();
    const supervision = (await client.workflow.getHandle('pipeline-support-assistant').fetchHistory())
      .events!.map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
      .find((id) => id && /supervise/.test(id))!;
    const supervised = await client.workflow.getHandle(supervision).describe();
    const cleanup = await client.workflow.getHandle('pipeline-support-assistant/cleanup').describe();
    const waiting = await client.workflow.getHandle(gatedId).describe();
    await capture(
      chromium,
      `${page(done.workflowId)}/${done.runId}/history`,
      path.join(docs, 'ui-pipeline-completed.png'),
      [1440, 1500],
    );
    await capture(
      chromium,
      `${page(supervised.workflowId)}/${supervised.runId}/history`,
      path.join(docs, 'ui-supervision-watch.png'),
      [1440, 1300],
    );
    await capture(
      chromium,
      `${page(cleanup.workflowId)}/${cleanup.runId}/history`,
      path.join(docs, 'ui-cleanup-deletes.png'),
      [1440, 1100],
    );
    await capture(
      chromium,
      `${page(gatedId)}/${waiting.runId}/history`,
      path.join(docs, 'ui-pipeline-awaiting-approval.png'),
      [1440, 1500],
    );
    await capture(chromium, `file://${reportFile}`, path.join(docs, 'report.png'), [900, 1400], 1000);

    const retrainId = await startGatedRetrain(client, taskQueue);
    stops.push(() =>
      client.workflow
        .getHandle(retrainId)
        .terminate('screenshots taken')
        .catch(() => undefined),
    );
    const consolePage = (p: string) => `${pipelineConsole.url}${p}`;
    await capture(
      chromium,
      consolePage(`/pipelines/${encodeURIComponent(retrainId)}`),
      path.join(docs, 'console-awaiting-approval.png'),
      [1440, 1500],
      3_000,
    );
    await capture(chromium, consolePage('/'), path.join(docs, 'console-fleet.png'), [1440, 1300], 3_000);
    await capture(chromium, consolePage('/#slots'), path.join(docs, 'console-slots.png'), [1440, 520], 3_000);
    if (process.env.SCREENSHOTS_HOLD) {
      say(`holding for ${process.env.SCREENSHOTS_HOLD} s: ${uiUrl}`);
      await new Promise((r) => setTimeout(r, Number(process.env.SCREENSHOTS_HOLD) * 1000));
    }
    await client.workflow
      .getHandle(gatedId)
      .terminate('screenshots taken')
      .catch(() => undefined);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`screenshots: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
