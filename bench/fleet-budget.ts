/**
 * Fleet budget: N pipelines started at once against a fleet budget of K jobs' reservations, on the
 * dev server (real worker, real time) and the sandbox with a compressed day (one epoch = one GPU-hour
 * in a few seconds, a window of a minute or so). Half the jobs end under their `budget.maxCost`, half
 * would pass it and are stopped by their supervision at it. Prints, per window, what the jobs admitted
 * in it cost at the provider (the sandbox's own figures, sampled while they run and at the end) against
 * the limit plus one reading interval's burn of the jobs running at once; how many waited and how long;
 * and whether every pipeline finished.
 *   npx tsx bench/fleet-budget.ts [--quick] [--pipelines 20] [--budget-jobs 8] [--epoch-ms 3000] [--window 60s]
 */
import type { Client } from '@temporalio/client';
import type { Sandbox } from '../sandbox/server';
import { fleetBudgets } from '../src/clients/fleet-budget';
import { parseDuration } from '../src/domain/duration';
import { fineTuneToDeploy } from '../src/workflows';
import { statusQuery, type PipelineResult } from '../src/workflows/pipeline/contract';
import { budgetedPipeline, startFleetBudgetBench } from './fleet-budget-bed';
import { benchHeader, option, quick, table } from './report';

const PIPELINES = Number(option('pipelines') ?? (quick ? 8 : 20));
const BUDGET_JOBS = Number(option('budget-jobs') ?? (quick ? 3 : 8));
const EPOCH_MS = Number(option('epoch-ms') ?? 3000);
const WINDOW_MS = parseDuration(option('window') ?? '60s')!;
/** Each pipeline reserves this; a100 costs $4.25 a GPU-hour (an epoch), so 2 epochs end under it and 3 pass it. */
const MAX_COST = 10;
const A100_PER_EPOCH = 4.25;
/** The supervision looks at least this often: what a running job burns between two readings. */
const FRESHNESS = '2s';
const SAMPLE_MS = 250;
const TASK_QUEUE = 'bench-fleet-budget';

interface Sample {
  atMs: number;
  waiting: number;
  /** Who was in line. */
  waiters: string[];
  /** Per window start: what the jobs admitted in it cost at the provider now. */
  spendByWindow: Map<number, number>;
  running: number;
}

async function main(): Promise<void> {
  const limit = BUDGET_JOBS * MAX_COST;
  const { bed, budgets } = await startFleetBudgetBench(TASK_QUEUE, {
    epochMs: EPOCH_MS,
    seed: 5,
    limit,
    windowMs: WINDOW_MS,
  });
  const { env, sandbox } = bed;

  const startedAt = new Map<string, number>();
  const handles = [];
  for (let i = 0; i < PIPELINES; i++) {
    const input = budgetedPipeline(`fleet-${i}`, i % 2 === 0 ? 2 : 3, MAX_COST, FRESHNESS);
    const workflowId = `pipeline-${input.name}`;
    startedAt.set(workflowId, Date.now());
    handles.push(
      await env.client.workflow.start(fineTuneToDeploy, { args: [input], taskQueue: TASK_QUEUE, workflowId }),
    );
  }

  const samples: Sample[] = [];
  let done = false;
  const results = Promise.allSettled(handles.map((h) => h.result() as Promise<PipelineResult>)).then(
    (r) => ((done = true), r),
  );
  let screenshotMoment: string | undefined;
  while (!done) {
    samples.push(await sample(env.client, sandbox));
    if (!screenshotMoment && samples.at(-1)!.waiting > 0) {
      const waiting = await handles.at(-1)!.query(statusQuery);
      if (waiting.phase === 'awaiting-budget')
        screenshotMoment = `${handles.at(-1)!.workflowId}: ${waiting.fleetBudget}`;
    }
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  const settled = await results;
  const finalSample = await sample(env.client, sandbox);
  const ledger = (await budgets.state())!.ledger;

  const outcomes = settled.map((s) => (s.status === 'fulfilled' ? s.value.outcome : `failed`));
  const deployed = outcomes.filter((o) => o === 'deployed').length;
  // Who was ever seen in line, how long from its start to its admission, and how soon after the
  // window's roll it was admitted (the roll is what frees the budget here).
  const inLine = new Set(samples.flatMap((s) => s.waiters));
  const admittedAfter = (r: (typeof ledger.reservations)[number]) =>
    Date.parse(r.at) - (startedAt.get(r.workflowId) ?? NaN);
  const waited = ledger.reservations.filter((r) => inLine.has(r.workflowId)).map(admittedAfter);
  const straight = ledger.reservations.filter((r) => !inLine.has(r.workflowId)).map(admittedAfter);
  const afterRoll = ledger.reservations
    .filter((r) => inLine.has(r.workflowId))
    .map((r) => Date.parse(r.at) - r.windowStartMs);
  const maxWaiting = Math.max(...samples.map((s) => s.waiting));
  const maxRunning = Math.max(...samples.map((s) => s.running));
  const burnPerSecond = A100_PER_EPOCH / (EPOCH_MS / 1000);
  const readingMs = parseDuration(FRESHNESS)!;
  const allowance = maxRunning * burnPerSecond * (readingMs / 1000);

  const windows = [...new Set(ledger.reservations.map((r) => r.windowStartMs))].sort((a, b) => a - b);
  // Each window's jobs as the provider ended them: how many completed, how many were stopped and at what cost.
  const jobLines = windows.map((w, i) => {
    const owners = new Set(ledger.reservations.filter((r) => r.windowStartMs === w).map((r) => r.workflowId));
    const jobs = [...sandbox.state.jobs.values()].filter((j) =>
      owners.has(/^(pipeline-[a-z0-9-]+?)--r/.exec(j.name)?.[1] ?? ''),
    );
    const byStatus = (status: string) =>
      jobs
        .filter((j) => j.status === status)
        .map((j) => sandbox.state.cost(j))
        .sort((a, b) => a - b);
    const range = (costs: number[]) =>
      costs.length ? `${costs.length} at $${costs[0]!.toFixed(2)}–$${costs.at(-1)!.toFixed(2)}` : '0';
    return `window ${i + 1} jobs: completed ${range(byStatus('completed'))}; stopped ${range(byStatus('stopped'))}; other ${jobs.length - byStatus('completed').length - byStatus('stopped').length}`;
  });
  const rows = windows.map((w, i) => {
    const admitted = ledger.reservations.filter((r) => r.windowStartMs === w);
    const peak = Math.max(...samples.map((s) => s.spendByWindow.get(w) ?? 0));
    const final = finalSample.spendByWindow.get(w) ?? 0;
    const settledSpend = admitted.reduce((s, r) => s + (r.spent ?? r.amount), 0);
    return [
      `window ${i + 1}`,
      admitted.length,
      `$${limit}`,
      `$${peak.toFixed(2)}`,
      `$${final.toFixed(2)}`,
      `$${settledSpend.toFixed(2)}`,
      `$${(limit + allowance).toFixed(2)}`,
      final <= limit + allowance + 1e-9 && peak <= limit + allowance + 1e-9 ? 'yes' : 'NO',
    ];
  });
  process.stdout.write(
    [
      benchHeader(
        `Fleet budget: ${PIPELINES} pipelines against a budget of ${BUDGET_JOBS} jobs' reservations`,
      ),
      '',
      `sandbox: 1 epoch (= 1 GPU-hour, $${A100_PER_EPOCH} on a100) every ${EPOCH_MS} ms; window ${WINDOW_MS / 1000} s; each pipeline reserves $${MAX_COST}; even ones train 2 epochs ($8.50, end under it), odd ones 3 (stopped at $${MAX_COST} by supervision); looks at least every ${FRESHNESS}.`,
      `allowance: one reading interval's burn of the jobs running at once = ${maxRunning} × $${burnPerSecond.toFixed(2)}/s × ${readingMs / 1000} s = $${allowance.toFixed(2)}`,
      '',
      table(
        [
          'window',
          'pipelines admitted',
          'limit',
          'provider cost, peak sampled',
          'provider cost, final',
          'ledger (settled)',
          'limit + allowance',
          'within',
        ],
        rows,
      ),
      '',
      `finished: ${settled.length} of ${PIPELINES} (${deployed} deployed; ${outcomes.filter((o) => o !== 'deployed').join(', ') || 'none other'})`,
      `waiting at once, most: ${maxWaiting}; pipelines that waited in line: ${waited.length} (start to admission: median ${seconds(median(waited))}, longest ${seconds(Math.max(0, ...waited))}; admitted ${seconds(median(afterRoll))} median, ${seconds(Math.max(0, ...afterRoll))} at most, after the window rolled)`,
      `admitted without waiting: ${straight.length} (start to admission: median ${seconds(median(straight))}, longest ${seconds(Math.max(0, ...straight))})`,
      ...jobLines,
      `most jobs running at once: ${maxRunning}; samples every ${SAMPLE_MS} ms: ${samples.length}`,
      screenshotMoment ? `a waiting pipeline: ${screenshotMoment}` : '',
      '',
    ].join('\n'),
  );
  await bed.close();
}

/** The budget's line and what each window's admitted jobs cost at the provider right now. */
async function sample(client: Client, sandbox: Sandbox): Promise<Sample> {
  const state = await fleetBudgets(client, TASK_QUEUE).state();
  const costOf = new Map<string, number>();
  let running = 0;
  for (const job of sandbox.state.jobs.values()) {
    // Bring the job to now, as a provider read does: a job past its last epoch is billed to its end only.
    sandbox.state.advance(job);
    const owner = /^(pipeline-[a-z0-9-]+?)--r/.exec(job.name)?.[1];
    if (!owner) continue;
    costOf.set(owner, (costOf.get(owner) ?? 0) + sandbox.state.cost(job));
    if (job.status === 'running') running += 1;
  }
  const spendByWindow = new Map<number, number>();
  for (const r of state?.ledger.reservations ?? [])
    spendByWindow.set(
      r.windowStartMs,
      (spendByWindow.get(r.windowStartMs) ?? 0) + (costOf.get(r.workflowId) ?? 0),
    );
  const waiters = state?.ledger.waiters.map((w) => w.workflowId) ?? [];
  return { atMs: Date.now(), waiting: waiters.length, waiters, spendByWindow, running };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function median(values: number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
