/**
 * Pictures of `starter report` for docs/: an early-stopped pipeline (the mark on its curve) and a sweep
 * (every trial's curve, the rungs, where trials were stopped). Each pipeline runs on a time-skipping
 * server against the sandbox (real workflows and activities); its report is rendered as `starter
 * report` renders it and captured in headless Chromium (as scripts/screenshots.ts does).
 *   npx tsx scripts/report-pictures.ts [--keep-html DIR]
 *
 *   docs/report-early-stop.png   a 20-epoch job stopped early on a plateau, and its deployed best
 *   docs/report-sweep.png        8 trials (4 learning rates × 2 ranks), halving at epochs 1, 2 and 4
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureEngines } from '../engine';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { loadReportData, renderReport } from '../src/cli/report';
import { pipelineWorkflowId, type PipelineInput } from '../src/domain/pipeline-input';
import { fineTuneToDeploy } from '../src/workflows';
import { startWorkflowTestBed, type WorkflowTestBed } from '../test/harness/workflow-env';
import { BrowserPage, ensureChromium } from './chromium';

const repo = path.resolve(__dirname, '..');
const docs = path.join(repo, 'docs');
const say = (line: string) => process.stderr.write(`${line}\n`);
const baseModel = 'meta-llama/Llama-2-7b-hf';

const earlyStopped: PipelineInput = pipelineInput('report-early-stop', {
  train: {
    ...tensoroneTrain({ config: { baseModel, strategy: 'lora', training: { epochs: 20 } } }),
    earlyStop: { patience: 2, minDelta: 0.01 },
  },
});

const swept: PipelineInput = pipelineInput('report-sweep', {
  train: {
    ...tensoroneTrain({ datasetId: 'ds_support_tickets' }),
    config: { baseModel, strategy: 'lora', training: { epochs: 8, learning_rate: 2e-4 } },
    sweep: {
      parameters: { 'training.learning_rate': [3e-5, 1e-4, 3e-4, 1e-3], 'parameters.rank': [16, 64] },
      parallel: 4,
      halving: { rungs: [1, 2, 4], keep: 0.5 },
    },
  } as PipelineInput['train'],
});

async function reportOf(bed: WorkflowTestBed, input: PipelineInput, dir: string): Promise<string> {
  const workflowId = pipelineWorkflowId(input.name);
  await bed.withWorker(() =>
    bed.env.client.workflow.execute(fineTuneToDeploy, {
      args: [input],
      taskQueue: bed.taskQueue,
      workflowId,
    }),
  );
  const file = path.join(dir, `${input.name}.html`);
  fs.writeFileSync(file, renderReport(await loadReportData(bed.env.client, workflowId)));
  say(`wrote ${file}`);
  return file;
}

/** The page from the top of `from` (the page's top when absent) to the bottom of `until`, `width` wide. */
async function capture(
  chromium: string,
  html: string,
  file: string,
  width: number,
  until: string,
  from?: string,
): Promise<void> {
  const page = await BrowserPage.launch(chromium, [width, 900]);
  try {
    await page.goto(`file://${html}`);
    const edge = (selector: string, side: 'top' | 'bottom') =>
      `document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect().${side}`;
    const [top, bottom] = await page.evaluate<[number, number]>(
      `[${from ? `Math.floor(${edge(from, 'top')} - 12)` : '0'}, Math.ceil(${edge(until, 'bottom')} + 16)]`,
    );
    const shot = (await page.send('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: top, width, height: bottom - top, scale: 1 },
    })) as { data: string };
    fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
    say(`wrote ${path.relative(repo, file)}`);
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  process.env.FTP_TEST_SERVER_PATH ??= (await ensureEngines({ devServer: false })).testServer;
  const at = process.argv.indexOf('--keep-html');
  const dir =
    at >= 0 ? path.resolve(process.argv[at + 1]) : fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-report-'));
  fs.mkdirSync(dir, { recursive: true });
  const chromium = ensureChromium(say);
  const bed = await startWorkflowTestBed({});
  try {
    const early = await reportOf(bed, earlyStopped, dir);
    const sweep = await reportOf(bed, swept, dir);
    await capture(chromium, early, path.join(docs, 'report-early-stop.png'), 860, 'svg + p');
    // The sweep's section: its chart and its table of trials.
    await capture(
      chromium,
      sweep,
      path.join(docs, 'report-sweep.png'),
      960,
      'h2 + p + svg + p + table',
      'h2',
    );
  } finally {
    await bed.teardown();
  }
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
