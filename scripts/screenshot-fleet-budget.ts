/**
 * `npx tsx scripts/screenshot-fleet-budget.ts`: the Web UI of pipelines waiting for the fleet budget,
 * taken in headless Chromium (as `npm run screenshots`) on a dev server of its own. A budget of $10 per
 * day, one pipeline holding it while its job trains, two more in line. Writes:
 *
 *   docs/ui-pipelines-awaiting-budget.png   the workflow list filtered on `FtpPhase = "awaiting-budget"`
 *   docs/ui-pipeline-awaiting-budget.png    the first in line: its current details say why it waits
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { devServerTuningArgs, startDevServer } from '../engine/dev-server-tuning';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { startSandbox } from '../sandbox/server';
import { fleetBudgets } from '../src/clients/fleet-budget';
import { DAY_MS } from '../src/decisions/fleet-budget';
import { startOrAttachPipeline } from '../src/cli/start-pipeline';
import { parsePipelineInput } from '../src/domain/pipeline-input';
import { createProviderClients } from '../src/providers/config';
import { createWorker, defaultWorkerSettings } from '../src/worker-factory';
import { statusQuery } from '../src/workflows/pipeline/contract';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../src/workflows/search-attributes';
import { BrowserPage, ensureChromium } from './chromium';
import { freePort } from '../engine/free-port';

const repo = path.resolve(__dirname, '..');
const say = (line: string) => process.stderr.write(`${line}\n`);

async function capture(chromium: string, url: string, file: string, size: [number, number]): Promise<void> {
  const page = await BrowserPage.launch(chromium, size);
  try {
    await page.send('Page.navigate', { url });
    await new Promise((r) => setTimeout(r, 8_000));
    await page.screenshot(file);
    say(`wrote ${path.relative(repo, file)}`);
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  const chromium = ensureChromium();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const uiPort = await freePort();
    const uiUrl = `http://localhost:${uiPort}`;
    const engines = await ensureEngines({ testServer: false, log: say });
    const dev = await startDevServer(engines.devServer!, {
      ip: '127.0.0.1',
      ui: true,
      uiPort,
      searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
      extraArgs: devServerTuningArgs(),
    });
    stops.push(() => dev.teardown());
    // Slow epochs: the first job holds the budget for the whole capture.
    const sandbox = await startSandbox({ epochMs: 60_000, queueMs: 500, deployMs: 1500 });
    stops.push(() => sandbox.close());
    const taskQueue = 'finetune-pipelines';
    const nativeConnection = await NativeConnection.connect({ address: dev.address });
    const worker = await createWorker({
      connection: nativeConnection,
      taskQueue,
      providers: createProviderClients(sandbox.endpoints),
      settings: defaultWorkerSettings(),
    });
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
      await nativeConnection.close();
    });
    const connection = await Connection.connect({ address: dev.address });
    stops.push(() => connection.close());
    const client = new Client({ connection });

    await fleetBudgets(client, taskQueue).set({ amount: 10, windowMs: DAY_MS, by: 'ops' });
    // As `starter run` starts them: with their search attributes and summaries.
    const start = async (name: string) =>
      (
        await startOrAttachPipeline(
          client,
          parsePipelineInput(pipelineInput(name, { train: tensoroneTrain(), budget: { maxCost: 10 } })),
          { taskQueue },
        )
      ).handle;
    const holder = await start('support-assistant');
    for (let i = 0; i < 60 && (await holder.query(statusQuery)).phase !== 'training'; i++)
      await new Promise((r) => setTimeout(r, 500));
    const first = await start('support-assistant-de');
    const second = await start('support-assistant-fr');
    for (const waiting of [first, second]) {
      for (let i = 0; i < 60 && (await waiting.query(statusQuery)).phase !== 'awaiting-budget'; i++)
        await new Promise((r) => setTimeout(r, 500));
      const s = await waiting.query(statusQuery);
      if (s.phase !== 'awaiting-budget')
        throw new Error(`${waiting.workflowId} is ${s.phase}, not awaiting budget`);
      say(`${waiting.workflowId}: ${s.fleetBudget}`);
    }
    // Visibility catches up with the search attribute.
    await new Promise((r) => setTimeout(r, 3_000));
    const docs = path.join(repo, 'docs');
    const query = encodeURIComponent('FtpPhase = "awaiting-budget"');
    await capture(
      chromium,
      `${uiUrl}/namespaces/default/workflows?query=${query}`,
      path.join(docs, 'ui-pipelines-awaiting-budget.png'),
      [1440, 700],
    );
    const { runId } = await first.describe();
    await capture(
      chromium,
      `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(first.workflowId)}/${runId}/history`,
      path.join(docs, 'ui-pipeline-awaiting-budget.png'),
      [1440, 1100],
    );
    for (const h of [holder, first, second]) await h.terminate('screenshots taken').catch(() => undefined);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`screenshot: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
