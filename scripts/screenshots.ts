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
 *
 * It also prints the CLI's own output of the example run (what docs/getting-started.md shows).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { devServerTuningArgs, startDevServer } from '../engine/dev-server-tuning';
import { codecFromEnv } from '../src/codec/aes-gcm-codec';
import { startCodecServer, uiOrigins } from '../src/codec/codec-server';
import { createProviderClients } from '../src/providers/config';
import { startSandbox } from '../sandbox/server';
import { statusQuery } from '../src/workflows/definitions';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { createWorker, defaultWorkerSettings } from '../src/worker-factory';

const repo = path.resolve(__dirname, '..');
const docs = path.join(repo, 'docs');
const say = (line: string) => process.stderr.write(`${line}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The Chromium binary; installs the Debian package when none is found (as root, or through sudo). */
function ensureChromium(): string {
  const found = ['chromium', 'chromium-browser']
    .map((name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim())
    .find(Boolean);
  if (found) return found;
  say('chromium not found: installing the Debian package `chromium` (apt-get)');
  const asRoot = process.getuid?.() === 0;
  const run = (args: string[]) =>
    execFileSync(asRoot ? args[0] : 'sudo', asRoot ? args.slice(1) : args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', 'chromium']);
  return 'chromium';
}

interface MinimalWebSocket {
  onopen: (() => void) | null;
  onmessage: ((ev: { data: string }) => void) | null;
  send(data: string): void;
  close(): void;
}
type WebSocketClass = new (url: string) => MinimalWebSocket;

/**
 * One PNG of a page as a browser shows it `waitMs` after navigating (real time: a running workflow's
 * page keeps a long poll open, so Chromium's --screenshot with a virtual time budget never fires).
 * Drives headless Chromium over the DevTools protocol (Node's WebSocket: `--experimental-websocket`
 * on Node 20). Asynchronous: the codec server the page calls runs in this process.
 */
async function capture(
  chromium: string,
  url: string,
  file: string,
  [width, height]: [number, number],
  waitMs = 8_000,
): Promise<void> {
  const WebSocketImpl = (globalThis as unknown as { WebSocket?: WebSocketClass }).WebSocket;
  if (!WebSocketImpl) throw new Error('no WebSocket in this Node: run through `npm run screenshots`');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-chromium-'));
  const browser = spawn(
    chromium,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      '--no-first-run',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const browserUrl = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`chromium did not start: ${seen.slice(-1000)}`)),
        30_000,
      );
      browser.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const targets = (await (await fetch(`http://${new URL(browserUrl).host}/json/list`)).json()) as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocketImpl(targets.find((t) => t.type === 'page')!.webSocketDebuggerUrl);
    await new Promise<void>((resolve) => (ws.onopen = resolve));
    const waiting = new Map<number, (m: { result?: { data?: string } }) => void>();
    let next = 0;
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data) as { id?: number; result?: { data?: string } };
      if (m.id !== undefined) waiting.get(m.id)?.(m);
    };
    const send = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<{ result?: { data?: string } }>((resolve) => {
        const id = ++next;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    await send('Page.enable');
    await send('Page.navigate', { url });
    await new Promise((r) => setTimeout(r, waitMs));
    const shot = await send('Page.captureScreenshot', { format: 'png' });
    fs.writeFileSync(file, Buffer.from(shot.result!.data!, 'base64'));
    ws.close();
    say(`wrote ${path.relative(repo, file)}`);
  } finally {
    const exited = new Promise((resolve) => browser.once('close', resolve));
    browser.kill('SIGKILL');
    await exited;
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
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
    const running = cli(['run', 'examples/pipeline.yaml'], env);
    await captureWatchWhileTraining(client, chromium, uiUrl);
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
