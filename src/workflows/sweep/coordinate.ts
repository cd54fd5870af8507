import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import {
  planTrials,
  rungVerdict,
  sweepBudgetReached,
  sweepWinner,
  type TrialEnd,
} from '../../decisions/halving';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { PipelineStatus, SupervisionResult } from '../definitions';
import { describeFailure } from '../failure-cause';
import { protect } from '../pipeline/protect';
import type { RunSafety } from '../pipeline/safety';
import {
  stopTrialSignal,
  sweepTrialsQuery,
  trialReportSignal,
  trialWorkflowId,
  type StopTrial,
  type SweepStatus,
  type TrialReport,
  type TrialResult,
  type TrialRow,
} from './contract';
import { sweepTrial } from './trial';

export interface SweepOutcome {
  /** The winning trial's job: the pipeline compares, gates and deploys its best checkpoint. */
  jobId: string;
  supervision: SupervisionResult;
  table: SweepStatus;
}

/**
 * The pipeline's sweep: starts the trials (each a `sweepTrial` child), at most `parallel` at a time;
 * judges each trial as it reaches a rung against the trials there before it (ASHA,
 * src/decisions/halving.ts) and stops a loser; stops every trial when the sweep's cost reaches its
 * budget; keeps each ended trial's best checkpoint out of every cleanup while this run lasts; and
 * names the winner. A cancel reaches every running trial, and is awaited until their jobs are stopped.
 */
export async function runSweep(
  spec: PipelineSpec,
  status: PipelineStatus,
  safety: RunSafety,
): Promise<SweepOutcome> {
  if (spec.train.kind !== 'tensorone' || !spec.train.sweep) throw new Error('runSweep needs train.sweep');
  const sweep = spec.train.sweep;
  const { metric, direction } = spec.selection;
  const planned = planTrials(sweep);
  const table: SweepStatus = {
    strategy: sweep.strategy,
    parallel: sweep.parallel,
    metric,
    direction,
    rungs: sweep.halving?.rungs ?? [],
    ...(sweep.halving ? { keep: sweep.halving.keep } : {}),
    ...(sweep.maxCost !== undefined ? { maxCost: sweep.maxCost } : {}),
    cost: 0,
    trials: planned.map((t) => ({ index: t.index, params: t.params, state: 'waiting', rungs: [] })),
  };
  status.sweep = table;
  setHandler(sweepTrialsQuery, () => table);

  const handles = new Map<number, ChildWorkflowHandle<typeof sweepTrial>>();
  /** Values reported at each rung, in the order they came: what a later trial is judged against. */
  const atRung = new Map<number, number[]>();
  const stopTrial = (row: TrialRow, order: StopTrial) => {
    if (row.state !== 'training') return;
    row.state = 'stopping';
    row.why = order.reason;
    // A trial that ended meanwhile cannot be signalled: its result says how it ended.
    handles
      .get(row.index)
      ?.signal(stopTrialSignal, order)
      .catch(() => undefined);
  };
  const stopAllForBudget = () => {
    if (
      table.budgetReached ||
      !sweepBudgetReached(
        table.trials.map((r) => r.cost),
        sweep.maxCost,
      )
    )
      return;
    table.budgetReached = true;
    for (const row of table.trials)
      stopTrial(row, {
        end: 'budget-stopped',
        reason: `the sweep's cost ${round(table.cost)} reached its budget ${sweep.maxCost}`,
      });
  };

  setHandler(trialReportSignal, (r: TrialReport) => {
    const row = table.trials[r.index];
    if (!row) return;
    if (r.jobId) row.jobId = r.jobId;
    if (r.epoch !== undefined) row.epoch = r.epoch;
    if (r.totalEpochs !== undefined) row.totalEpochs = r.totalEpochs;
    if (r.metric !== undefined) row.metric = r.metric;
    if (r.cost !== undefined) row.cost = r.cost;
    table.cost = sumCosts(table.trials);
    if (r.rung && sweep.halving && !row.rungs.some((g) => g.epoch === r.rung?.epoch)) {
      const value = typeof r.rung.value === 'number' ? r.rung.value : Number.NaN;
      const earlier = atRung.get(r.rung.epoch) ?? [];
      const verdict = rungVerdict(earlier, value, sweep.halving.keep, direction);
      atRung.set(r.rung.epoch, [...earlier, value]);
      const { stop, rank, of, kept } = verdict;
      row.rungs.push({ epoch: r.rung.epoch, value, stop, rank, of, kept });
      if (stop)
        stopTrial(row, {
          end: 'rung-stopped',
          reason: `at epoch ${r.rung.epoch} ${metric} ${value}: ${verdict.why}`,
        });
    }
    stopAllForBudget();
  });

  const pipelineId = workflowInfo().workflowId;
  const running = new Map<number, Promise<number>>();
  const settle = (index: number, result: TrialResult | undefined, err?: unknown) => {
    const row = table.trials[index];
    if (result) {
      row.state = result.end;
      row.jobId = result.jobId ?? row.jobId;
      row.cost = result.cost ?? row.cost;
      row.best = result.value;
      row.checkpointId = result.checkpointId;
      if (result.why) row.why = result.why;
      if (result.epochsTrained !== undefined) row.epoch = result.epochsTrained;
      row.totalEpochs = result.supervision?.job.progress.totalEpochs ?? row.totalEpochs;
    } else {
      row.state = isCancellation(err) ? 'cancelled' : 'failed';
      row.why = describeFailure(err);
    }
    table.cost = sumCosts(table.trials);
    return index;
  };
  const results = new Map<number, TrialResult>();
  let next = 0;
  try {
    while (next < planned.length || running.size > 0) {
      while (running.size < sweep.parallel && next < planned.length && !table.budgetReached) {
        const trial = planned[next++];
        const row = table.trials[trial.index];
        const handle = await startChild(sweepTrial, {
          workflowId: trialWorkflowId(pipelineId, trial.index),
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `trial ${trial.index}: ${Object.entries(trial.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`,
          args: [{ spec, index: trial.index, params: trial.params, nameBasis: safety.nameBasis }],
        });
        handles.set(trial.index, handle);
        row.state = 'training';
        running.set(
          trial.index,
          handle.result().then(
            (result) => {
              results.set(trial.index, result);
              return settle(trial.index, result);
            },
            (err: unknown) => settle(trial.index, undefined, err),
          ),
        );
      }
      if (running.size === 0) break;
      const ended = await Promise.race(running.values());
      running.delete(ended);
      // A cancel reached every trial: wait until each has stopped its job, then end cancelled.
      if (CancellationScope.current().consideredCancelled) {
        await Promise.all(running.values());
        throw new CancelledFailure('sweep cancelled');
      }
      const best = results.get(ended)?.checkpointId;
      // The trial's best stays out of every cleanup while this run lasts (the winner's is then the candidate).
      if (best) await protect([{ kind: 'candidate', checkpointId: best }]);
    }
  } catch (err) {
    // Cancelled while starting a trial or recording one: the running trials stop their jobs first.
    if (isCancellation(err)) await Promise.all(running.values());
    throw err;
  }
  for (const row of table.trials) if (row.state === 'waiting') row.state = 'not-started';

  const winner = sweepWinner(
    [...results.values()].map((r) => ({
      index: r.index,
      end: (r.end === 'cancelled' ? 'failed' : r.end) as TrialEnd,
      value: r.value ?? Number.NaN,
    })),
    direction,
  );
  const won = winner === undefined ? undefined : results.get(winner);
  if (!won?.jobId || !won.supervision)
    throw ApplicationFailure.nonRetryable(
      `no trial of the sweep ended with a checkpoint carrying "${metric}" (${table.trials
        .map((r) => `trial ${r.index} ${r.state}`)
        .join(', ')}): nothing to deploy`,
      'NO_CANDIDATE',
    );
  table.winner = won.index;
  return { jobId: won.jobId, supervision: won.supervision, table };
}

const round = (x: number) => Math.round(x * 100) / 100;

function sumCosts(rows: readonly TrialRow[]): number {
  return round(rows.reduce((sum, r) => sum + (r.cost ?? 0), 0));
}
