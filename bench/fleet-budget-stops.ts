/**
 * Fleet budget stops: N pipelines against a budget of K jobs' reservations on the dev server (real worker,
 * real time) and the sandbox with a compressed day, where the fleet's spend would pass the budget without
 * the budget's own stops:
 * - the operator lowers the budget mid-window (`starter budget set`'s Update) to half of it, once the
 *   window's first jobs have all reported a cost, below what they may still cost; and sets it back when
 *   the window rolls;
 * - the odd pipelines' jobs would cost more than their reservation (8 epochs, $34, against $30): their
 *   supervision stops them at it, and what they burn past it before the stop passes the reservation.
 * Prints the limit in force, the peak of what the jobs cost at the provider (the sandbox's own cost of
 * every job, sampled every reading interval's fraction, never the ledger) against the limit plus one
 * reading interval's burn of the jobs running at once; which jobs the fleet budget stopped, whether they
 * were the newest, whether each had a saved checkpoint, and the seconds from the lowering, from the
 * spend passing the limit and from the budget's decision to each stop landing at the provider; whether
 * every pipeline ended and none created two jobs. Figures only: it exits non-zero only on a broken
 * invariant (a job the fleet budget stopped without a saved checkpoint, two jobs of one pipeline).
 *   npx tsx bench/fleet-budget-stops.ts [--quick] [--pipelines 20] [--budget-jobs 8] [--epoch-ms 3000] [--window 60s]
 */
import os from 'node:os';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Sandbox } from '../sandbox/server';
import type { SimJob } from '../sandbox/state';
import { fleetBudgets } from '../src/clients/fleet-budget';
import type { FleetReservation } from '../src/decisions/fleet-budget';
import { parseDuration } from '../src/domain/duration';
import { fineTuneToDeploy } from '../src/workflows';
import type { PipelineResult } from '../src/workflows/pipeline/contract';
import { budgetedPipeline, startFleetBudgetBench } from './fleet-budget-bed';
import { benchHeader, option, quick, table } from './report';

const PIPELINES = Number(option('pipelines') ?? (quick ? 6 : 20));
const BUDGET_JOBS = Number(option('budget-jobs') ?? (quick ? 3 : 8));
const EPOCH_MS = Number(option('epoch-ms') ?? 3000);
const WINDOW_MS = parseDuration(option('window') ?? '60s')!;
/** Each pipeline reserves this; a100 costs $4.25 a GPU-hour (an epoch): 6 epochs end under it, 8 pass it. */
const MAX_COST = 30;
const A100_PER_EPOCH = 4.25;
const EPOCHS = (i: number) => (i % 2 === 0 ? 6 : 8);
/** The supervision looks at least this often: what a running job burns between two readings. */
const FRESHNESS = '2s';
const SAMPLE_MS = 250;
/** The operator lowers the budget once the window's jobs have spent this share of it. */
const LOWER_AT_SHARE = 0.25;
const TASK_QUEUE = 'bench-fleet-budget-stops';
const OWNER = /^(pipeline-[a-z0-9-]+?)--r/;

interface Sample {
  atMs: number;
  /** The limit in force when sampled. */
  limit: number;
  /** Per window start: what the jobs admitted in it cost at the provider now. */
  spendByWindow: Map<number, number>;
  running: number;
  reservations: FleetReservation[];
}

async function main(): Promise<void> {
  const limit = BUDGET_JOBS * MAX_COST;
  const lowered = Math.round(limit / 2);
  const {
    bed,
    budgets,
    firstWindowStartMs: firstWindow,
  } = await startFleetBudgetBench(TASK_QUEUE, { epochMs: EPOCH_MS, seed: 7, limit, windowMs: WINDOW_MS });
  const { env, sandbox } = bed;

  const handles: WorkflowHandle[] = [];
  for (let i = 0; i < PIPELINES; i++) {
    const input = budgetedPipeline(`stops-${i}`, EPOCHS(i), MAX_COST, FRESHNESS);
    handles.push(
      await env.client.workflow.start(fineTuneToDeploy, {
        args: [input],
        taskQueue: TASK_QUEUE,
        workflowId: `pipeline-${input.name}`,
      }),
    );
  }

  const samples: Sample[] = [];
  let done = false;
  const results = Promise.allSettled(handles.map((h) => h.result() as Promise<PipelineResult>)).then(
    (r) => ((done = true), r),
  );
  let limitNow = limit;
  let loweredAt: number | undefined;
  let restoredAt: number | undefined;
  const firstWindowEnd = firstWindow + WINDOW_MS;
  while (!done) {
    const s = await sample(env.client, sandbox, limitNow);
    samples.push(s);
    const firstJobs = s.reservations.filter((r) => r.windowStartMs === firstWindow && r.spent === undefined);
    if (
      loweredAt === undefined &&
      firstJobs.length >= Math.min(BUDGET_JOBS, PIPELINES) &&
      firstJobs.every((r) => r.stoppable && r.reported !== undefined) &&
      (s.spendByWindow.get(firstWindow) ?? 0) >= LOWER_AT_SHARE * limit
    ) {
      // The operator holds the fleet: below what its running jobs may still cost.
      await budgets.set({ amount: lowered, windowMs: WINDOW_MS, by: 'bench' });
      loweredAt = Date.now();
      limitNow = lowered;
    } else if (loweredAt !== undefined && restoredAt === undefined && Date.now() >= firstWindowEnd + 200) {
      await budgets.set({ amount: limit, windowMs: WINDOW_MS, by: 'bench' });
      restoredAt = Date.now();
      limitNow = limit;
    }
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  const settled = await results;
  samples.push(await sample(env.client, sandbox, limitNow));
  const ledger = (await budgets.state())!.ledger;

  const jobsOf = new Map<string, SimJob[]>();
  for (const job of sandbox.state.jobs.values()) {
    const owner = OWNER.exec(job.name)?.[1];
    if (owner) jobsOf.set(owner, [...(jobsOf.get(owner) ?? []), job]);
  }
  const duplicates = [...jobsOf].filter(([, jobs]) => jobs.length > 1).map(([owner]) => owner);

  const maxRunning = Math.max(...samples.map((s) => s.running));
  const burnPerSecond = A100_PER_EPOCH / (EPOCH_MS / 1000);
  const readingMs = parseDuration(FRESHNESS)!;
  const allowance = maxRunning * burnPerSecond * (readingMs / 1000);

  // Per window and limit in force: the peak of what the window's jobs cost at the provider.
  const windows = [...new Set(ledger.reservations.map((r) => r.windowStartMs))].sort((a, b) => a - b);
  const rows: (string | number)[][] = [];
  const passedAt = new Map<number, number>();
  for (const [i, w] of windows.entries()) {
    const admitted = ledger.reservations.filter((r) => r.windowStartMs === w);
    const periods = [...new Set(samples.map((s) => s.limit))];
    for (const l of periods) {
      const during = samples.filter((s) => s.limit === l && s.spendByWindow.has(w));
      if (!during.length) continue;
      const peak = Math.max(...during.map((s) => s.spendByWindow.get(w) ?? 0));
      rows.push([
        `window ${i + 1}`,
        admitted.length,
        `$${l}${l === lowered && l !== limit ? ' (lowered)' : ''}`,
        `$${peak.toFixed(2)}`,
        `$${(l + allowance).toFixed(2)}`,
        peak <= l + allowance + 1e-9 ? 'yes' : 'NO',
        `$${Math.max(0, peak - l).toFixed(2)}`,
      ]);
    }
    const over = samples.find((s) => (s.spendByWindow.get(w) ?? 0) > s.limit);
    if (over) passedAt.set(w, over.atMs);
  }

  // The jobs the fleet budget stopped: newest of those it could stop, checkpoint saved, when it landed.
  const stopped = ledger.reservations.filter((r) => r.stopped);
  let broken = duplicates.length > 0;
  const stopRows = stopped.map((r) => {
    const job = jobsOf.get(r.workflowId)?.[0];
    const decidedMs = Date.parse(r.stopped!.at);
    const landed = job?.status === 'stopped' ? job.endedAtMs : undefined;
    const checkpoint = job ? sandbox.state.jobCheckpoints(job.id).find((c) => c.type === 'final') : undefined;
    // A job that completed before its stop reached it needs no checkpoint of a stop.
    if (job && landed !== undefined && !checkpoint) broken = true;
    const before = [...samples].reverse().find((s) => s.atMs <= decidedMs);
    const keptNewer = (before?.reservations ?? []).filter(
      (o) =>
        o.windowStartMs === r.windowStartMs &&
        o.spent === undefined &&
        o.stoppable &&
        !o.stopped &&
        // Chosen by this decision or one before it (the sample may predate them).
        !stopped.some((s) => s.workflowId === o.workflowId && s.stopped!.at <= r.stopped!.at) &&
        o.at > r.at,
    );
    const result = settled[handles.findIndex((h) => h.workflowId === r.workflowId)];
    const value = result?.status === 'fulfilled' ? result.value : undefined;
    const passed = passedAt.get(r.windowStartMs);
    const secs = (from: number | undefined) =>
      from === undefined || landed === undefined ? '–' : seconds(landed - from);
    const ofWindow = ledger.reservations.filter((o) => o.windowStartMs === r.windowStartMs);
    const rank =
      ofWindow.filter((o) => o.at < r.at || (o.at === r.at && ofWindow.indexOf(o) < ofWindow.indexOf(r)))
        .length + 1;
    return [
      r.workflowId,
      `window ${windows.indexOf(r.windowStartMs) + 1}, ${rank} of ${ofWindow.length}`,
      `$${(r.reported ?? NaN).toFixed(2)}`,
      job ? `${job.status} at $${sandbox.state.cost(job).toFixed(2)}` : 'no job',
      keptNewer.length === 0 ? 'yes' : `NO (${keptNewer.map((o) => o.workflowId).join(', ')} kept)`,
      checkpoint ? `${checkpoint.id}` : landed === undefined ? '– (not stopped)' : 'NONE',
      loweredAt !== undefined && decidedMs >= loweredAt - 1000 && (restoredAt ?? Infinity) > decidedMs
        ? secs(loweredAt)
        : '–',
      passed !== undefined && landed !== undefined
        ? landed >= passed
          ? seconds(landed - passed)
          : `${seconds(passed - landed)} before`
        : 'not passed',
      secs(decidedMs),
      value
        ? `${value.outcome}${value.checkpoint && value.jobId === job?.id ? ` (epoch ${value.checkpoint.epoch} of its job)` : ''}`
        : 'failed',
    ];
  });

  const outcomes = settled.map((s) => (s.status === 'fulfilled' ? s.value.outcome : 'failed'));
  const deployed = outcomes.filter((o) => o === 'deployed').length;
  const ownStops = settled.filter(
    (s) => s.status === 'fulfilled' && s.value.budgetStopped && !s.value.fleetBudgetStopped,
  ).length;

  process.stdout.write(
    [
      benchHeader(
        `Fleet budget stops: ${PIPELINES} pipelines against a budget of ${BUDGET_JOBS} jobs' reservations`,
      ),
      `load average at the end: ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(', ')}`,
      '',
      `sandbox: 1 epoch (= 1 GPU-hour, $${A100_PER_EPOCH} on a100) every ${EPOCH_MS} ms; window ${WINDOW_MS / 1000} s; each pipeline reserves $${MAX_COST}; even ones train 6 epochs ($25.50), odd ones 8 ($34: past their reservation, stopped at it by their supervision); looks at least every ${FRESHNESS}.`,
      `budget $${limit} a window; lowered to $${lowered} ${loweredAt !== undefined ? `${seconds(loweredAt - firstWindow)} into window 1 (once its jobs had all reported and spent ${LOWER_AT_SHARE * 100} % of $${limit})` : 'never (the condition was not met)'}; set back to $${limit} ${restoredAt !== undefined ? `${seconds(restoredAt - firstWindowEnd)} after window 1 rolled` : 'never'}.`,
      `allowance: one reading interval's burn of the jobs running at once = ${maxRunning} × $${burnPerSecond.toFixed(2)}/s × ${readingMs / 1000} s = $${allowance.toFixed(2)}`,
      '',
      table(
        [
          'window',
          'pipelines admitted',
          'limit in force',
          'provider cost, peak sampled',
          'limit + allowance',
          'within',
          'over the limit',
        ],
        rows,
      ),
      '',
      `jobs stopped by the fleet budget: ${stopped.length}; by their own budget.maxCost: ${ownStops}`,
      stopRows.length
        ? table(
            [
              'pipeline',
              'admitted (1 = oldest)',
              'last reported',
              'job at the provider',
              'newest',
              'saved checkpoint',
              'lowering → landed',
              'spend past limit → landed',
              'decision → landed',
              'pipeline',
            ],
            stopRows,
          )
        : '',
      '',
      `finished: ${settled.length} of ${PIPELINES} (${deployed} deployed; ${outcomes.filter((o) => o !== 'deployed').join(', ') || 'none other'})`,
      `duplicate jobs: ${duplicates.length ? duplicates.join(', ') : 'none'} (${[...jobsOf.values()].flat().length} jobs for ${PIPELINES} pipelines)`,
      `most jobs running at once: ${maxRunning}; samples every ${SAMPLE_MS} ms: ${samples.length}`,
      '',
    ].join('\n'),
  );
  await bed.close();
  if (broken) {
    process.stderr.write(
      'broken invariant: a job the fleet budget stopped has no saved checkpoint, or a pipeline created two jobs\n',
    );
    process.exit(1);
  }
}

/** The ledger and what each window's admitted jobs cost at the provider right now. */
async function sample(client: Client, sandbox: Sandbox, limit: number): Promise<Sample> {
  const state = await fleetBudgets(client, TASK_QUEUE).state();
  const costOf = new Map<string, number>();
  let running = 0;
  for (const job of sandbox.state.jobs.values()) {
    // Bring the job to now, as a provider read does: a job past its last epoch is billed to its end only.
    sandbox.state.advance(job);
    const owner = OWNER.exec(job.name)?.[1];
    if (!owner) continue;
    costOf.set(owner, (costOf.get(owner) ?? 0) + sandbox.state.cost(job));
    if (job.status === 'running') running += 1;
  }
  const reservations = state?.ledger.reservations ?? [];
  const spendByWindow = new Map<number, number>();
  for (const r of reservations)
    spendByWindow.set(
      r.windowStartMs,
      (spendByWindow.get(r.windowStartMs) ?? 0) + (costOf.get(r.workflowId) ?? 0),
    );
  return { atMs: Date.now(), limit, spendByWindow, running, reservations };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
