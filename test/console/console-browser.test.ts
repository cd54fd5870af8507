/**
 * The console in a real browser (headless Chromium over the DevTools protocol): the fleet page, a
 * running pipeline whose curve updates without a reload, an approval from the page, and the refusal a
 * second operator's stale page gets — worded as the CLI words it.
 */
import { BrowserPage, ensureChromium } from '../../scripts/chromium';
import { startConsole, type RunningConsole } from '../../src/console/server';
import { startOrAttachPipeline } from '../../src/cli/start-pipeline';
import { parsePipelineInput } from '../../src/domain/pipeline-input';
import { cliBed } from '../harness/cli-bed';
import { quickGatedExample } from '../harness/example-pipelines';

// Epochs slow enough that the page sees several looks while the job trains.
// A slow deploy: the approved pipeline still runs when the CLI is asked the same question.
const bed = cliBed({
  name: 'console',
  sandbox: { epochMs: 700, queueMs: 50, deployMs: 60_000 },
  worker: true,
});
const { taskQueue } = bed;
const name = `console-${taskQueue.slice(-8)}`;
const workflowId = `pipeline-${name}`;

let console_: RunningConsole;
const pages: BrowserPage[] = [];

beforeAll(async () => {
  const chromium = ensureChromium();
  await bed.start();
  console_ = await startConsole(bed.dev.client, {
    port: 0,
    host: '127.0.0.1',
    allowedHosts: [],
    uiUrl: 'http://localhost:8233',
    namespace: 'default',
    taskQueue,
    refreshMs: 300,
    by: 'console-test',
  });
  pages.push(
    await BrowserPage.launch(chromium, [1280, 1000]),
    await BrowserPage.launch(chromium, [1280, 1000]),
  );
});

afterAll(async () => {
  for (const p of pages) await p.close();
  await console_?.close();
  // The bed may not have started (a failed set-up): nothing to terminate then.
  await Promise.resolve()
    .then(() => bed.dev.client.workflow.getHandle(workflowId).terminate('test over'))
    .catch(() => undefined);
  await bed.close();
});

/** The CLI as its own process, as an operator runs it. */
const cli = (args: string[]) => bed.cli(args);

const text = (selector: string) =>
  `(document.querySelector(${JSON.stringify(selector)}) || {}).textContent || ''`;

it('shows the fleet, a live curve, approves from the page and shows a stale approve refused as the CLI does', async () => {
  const spec = quickGatedExample(name, { epochs: 8, stall: '30s' });
  await startOrAttachPipeline(bed.dev.client, parsePipelineInput(spec), { taskQueue });
  const [alice, bob] = pages;

  // The fleet lists the pipeline; the name filter keeps it, another name leaves it out.
  await alice.goto(`${console_.url}/?name=${encodeURIComponent(name)}`);
  await alice.waitFor(`document.querySelector('a[href="/pipelines/${workflowId}"]')`);
  expect(await alice.evaluate<string>(text('#slots'))).toContain('Serving slots');
  await alice.goto(`${console_.url}/?name=nothing-by-this-name`);
  expect(await alice.evaluate<string>(text('#pipelines'))).toContain('no pipelines match');

  // The running pipeline: its phase lit in the graph, and the curve growing without a reload.
  await alice.goto(`${console_.url}/?name=${encodeURIComponent(name)}`);
  await alice.evaluate(`document.querySelector('a[href="/pipelines/${workflowId}"]').click()`);
  await alice.waitFor(
    `location.pathname === '/pipelines/${workflowId}' && document.querySelector('#curve svg')`,
  );
  await alice.waitFor(`document.querySelector('.node.current[data-phase="training"]')`, 30_000);
  await alice.evaluate(`window.sameDocument = true`);
  await alice.waitFor(`document.querySelectorAll('#curve .live-point').length >= 1`, 30_000);
  const before = await alice.evaluate<number>(`document.querySelectorAll('#curve .live-point').length`);
  await alice.waitFor(`document.querySelectorAll('#curve .live-point').length > ${before}`, 30_000);
  expect(await alice.evaluate<boolean>('window.sameDocument === true')).toBe(true);

  // Both operators open the pipeline once it awaits approval: the candidate beside the champion.
  await alice.waitFor(`document.querySelector('.node.current[data-phase="awaiting-approval"]')`, 60_000);
  expect(await alice.evaluate<boolean>('window.sameDocument === true')).toBe(true);
  await alice.goto(`${console_.url}/pipelines/${workflowId}`);
  await bob.goto(`${console_.url}/pipelines/${workflowId}`);
  const candidate = await alice.evaluate<string>(text('#candidate-checkpoint'));
  expect(candidate).toMatch(/\S/);
  expect(await bob.evaluate<string>(text('#candidate-checkpoint'))).toBe(candidate);
  expect(await alice.evaluate<string>(text('#approval'))).toContain('champion');

  // Alice approves from her page: the pipeline's answer, in the CLI's words.
  await alice.evaluate(`document.querySelector('#decide button.approve').click()`);
  await alice.waitFor(`document.querySelector('#outcome')`);
  expect(await alice.evaluate<string>(text('#outcome'))).toMatch(
    new RegExp(`^${workflowId}: approved ${candidate} by console-test; \\S`),
  );
  expect(await alice.evaluate<string>(`document.querySelector('#outcome').className`)).toContain('ok');

  // Bob's page still shows the approval form: his approve is refused, as the CLI refuses it.
  await bob.evaluate(`document.querySelector('#decide button.approve').click()`);
  await bob.waitFor(`document.querySelector('#outcome')`);
  const refusal = await bob.evaluate<string>(text('#outcome'));
  expect(refusal).toBe(`refused: already approved by console-test (${candidate})`);
  const fromCli = await cli(['approve', workflowId, '--checkpoint', candidate]);
  expect(fromCli.code).toBe(2);
  expect(fromCli.stderr.trim()).toBe(refusal);
});
