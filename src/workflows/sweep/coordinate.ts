import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { bestSeen } from '../../decisions/best-seen';
import { planTrials, sweepWinner, type TrialEnd } from '../../decisions/halving';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { PipelineStatus } from '../pipeline/contract';
import type { SupervisionResult } from '../supervise/contract';
import { applicationCause, describeFailure } from '../failure-cause';
import { protectionRecords } from '../activity-stubs';
import { rungQuotas } from '../../decisions/rung-promotion';
import { pausesTrialsAtRungs, releasesLosingTrials } from '../pipeline/patches';
import { protect } from '../pipeline/protect';
import type { RunSafety } from '../pipeline/safety';
import { add } from '../pipeline/status';
import { summarized } from '../summaries';
import {
  holdTrialSignal,
  stopTrialSignal,
  sweepTrialsQuery,
  trialReportSignal,
  trialWorkflowId,
  type SweepStatus,
  type TrialReport,
  type TrialResult,
} from './contract';
import { decideRungs, hasPromoted, resumeOrders, trainingCount, type SweepOrder } from './promotions';
import { sweepAwaitingBudget, sweepCost, takeReport, type RungsSoFar } from './reports';
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
 * budget; keeps each ended trial's best checkpoint out of every cleanup while the sweep runs; and
 * names the winner, releasing the other trials' bests. A cancel reaches every running trial, and is awaited until their jobs are stopped.
 * With `trialsReserve` each trial reserves its own job's cost against the fleet budget; one the budget
 * refuses starts no further trial, and fails the sweep when no trial has a checkpoint to deploy.
 */
export async function runSweep(
  spec: PipelineSpec,
  status: PipelineStatus,
  safety: RunSafety,
  trialsReserve = false,
  /** Told after each report why the whole sweep waits for the fleet budget, or undefined when it does not. */
  awaitingBudget?: (why: string | undefined) => void,
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
  const rungsSoFar: RungsSoFar = new Map();
  // A trial at a rung waits, paused, until it is sure to be among the best there (ASHA's promotion).
  const quotas =
    sweep.halving && sweep.halving.rungs.length > 0 && pausesTrialsAtRungs()
      ? rungQuotas(planned.length, sweep.halving.rungs.length, sweep.halving.keep)
      : undefined;
  const send = (orders: SweepOrder[]) => {
    // A trial that ended meanwhile cannot be signalled: its result says how it ended.
    for (const o of orders) {
      const handle = handles.get(o.index);
      const sent =
        'order' in o ? handle?.signal(stopTrialSignal, o.order) : handle?.signal(holdTrialSignal, o.hold);
      sent?.catch(() => undefined);
    }
  };
  setHandler(trialReportSignal, (r: TrialReport) => {
    send(takeReport(table, rungsSoFar, r, quotas));
    if (trialsReserve) awaitingBudget?.(sweepAwaitingBudget(table));
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
      row.bestSeen = bestSeen(row.bestSeen, result.value, direction);
      row.checkpointId = result.checkpointId;
      if (result.why) row.why = result.why;
      if (result.epochsTrained !== undefined) row.epoch = result.epochsTrained;
      row.totalEpochs = result.supervision?.job.progress.totalEpochs ?? row.totalEpochs;
    } else {
      row.state = isCancellation(err) ? 'cancelled' : 'failed';
      row.why = describeFailure(err);
      refusedByBudget(err);
    }
    table.cost = sweepCost(table);
    return index;
  };
  const results = new Map<number, TrialResult>();
  /** The fleet budget's refusal of a trial (never admittable, or full with whenFleetFull fail). */
  let refusal: ApplicationFailure | undefined;
  const refusedByBudget = (err: unknown) => {
    const app = applicationCause(err);
    if (trialsReserve && app?.type?.startsWith('FLEET_BUDGET_')) refusal ??= app;
  };
  // With pauses a paused trial's child runs on without training: `parallel` bounds the trials training.
  const busy = () => (quotas ? trainingCount(table) : running.size);
  const endedTrials: number[] = [];
  let next = 0;
  try {
    while (next < planned.length || running.size > 0) {
      // Promoted trials resume before any other starts.
      if (quotas) send(resumeOrders(table, sweep.parallel));
      while (busy() < sweep.parallel && next < planned.length && !table.budgetReached && !refusal) {
        const trial = planned[next++];
        const row = table.trials[trial.index];
        const handle = await startChild(sweepTrial, {
          workflowId: trialWorkflowId(pipelineId, trial.index),
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `trial ${trial.index}: ${Object.entries(trial.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`,
          args: [
            {
              spec,
              index: trial.index,
              params: trial.params,
              nameBasis: safety.nameBasis,
              ...(trialsReserve ? { reservesFleetBudget: true } : {}),
            },
          ],
        });
        handles.set(trial.index, handle);
        row.state = 'training';
        running.set(
          trial.index,
          handle.result().then(
            (result) => {
              results.set(trial.index, result);
              endedTrials.push(trial.index);
              return settle(trial.index, result);
            },
            (err: unknown) => {
              endedTrials.push(trial.index);
              return settle(trial.index, undefined, err);
            },
          ),
        );
      }
      if (running.size === 0) break;
      let ended: number;
      if (quotas) {
        const canStart = () => next < planned.length && !table.budgetReached && !refusal;
        await condition(
          () =>
            endedTrials.length > 0 ||
            (busy() < sweep.parallel && ((hasPromoted(table) && !table.budgetReached) || canStart())),
        );
        const first = endedTrials.shift();
        if (first === undefined) continue;
        ended = first;
        // A trial that ended below a rung no longer counts as coming to it: its rung may decide now.
        send(decideRungs(table, quotas));
      } else ended = await Promise.race(running.values());
      running.delete(ended);
      // A cancel reached every trial: wait until each has stopped its job, then end cancelled.
      if (CancellationScope.current().consideredCancelled) {
        await Promise.all(running.values());
        throw new CancelledFailure('sweep cancelled');
      }
      const best = results.get(ended)?.checkpointId;
      // The trial's best stays out of every cleanup while the sweep runs (the winner's then as the candidate).
      if (best) await protect([{ kind: 'candidate', checkpointId: best }]);
    }
  } catch (err) {
    // Cancelled while starting a trial or recording one: the running trials stop their jobs first.
    if (isCancellation(err)) {
      await Promise.all(running.values());
      // What the cancel stopped, listed as a pipeline that did not deploy lists its stopped job.
      for (const row of table.trials) {
        if (row.jobId && row.state === 'cancelled') add(status, 'stoppedJobs', row.jobId);
        if (row.state === 'waiting') row.state = 'not-started';
      }
    }
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
  if ((!won?.jobId || !won.supervision) && refusal) {
    const created = table.trials.filter((r) => r.jobId).length;
    throw ApplicationFailure.nonRetryable(
      `${refusal.message} (each sweep trial reserves budget.maxCost, the most its own job may cost, before its job is created; ${created === 0 ? 'no trial job was created' : `${created} trial job${created === 1 ? ' was' : 's were'} created`})`,
      refusal.type,
    );
  }
  if (!won?.jobId || !won.supervision)
    throw ApplicationFailure.nonRetryable(
      `no trial of the sweep ended with a checkpoint carrying "${metric}" (${table.trials
        .map((r) => `trial ${r.index} ${r.state}`)
        .join(', ')}): nothing to deploy`,
      'NO_CANDIDATE',
    );
  table.winner = won.index;
  // The losers' bests go back to cleanup's retention rules; the winner's stays, then its candidate's.
  const losers = [...results.values()].flatMap((r) =>
    r.index !== won.index && r.checkpointId && r.checkpointId !== won.checkpointId ? [r.checkpointId] : [],
  );
  if (releasesLosingTrials() && losers.length > 0)
    await summarized(
      protectionRecords.releaseProtection,
      `release the best checkpoints of the sweep's other trials (${losers.join(', ')}) to cleanup`,
      { checkpointIds: losers },
    );
  return { jobId: won.jobId, supervision: won.supervision, table };
}
