import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import {
  configWith,
  epochsDone,
  nextRungLookMs,
  rungValue,
  type ProgressSeen,
} from '../../decisions/halving';
import { remainingMs } from '../../decisions/supervision';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { parseDuration } from '../../domain/duration';
import { paging, polling, provider } from '../activity-stubs';
import type { PipelineStatus } from '../pipeline/contract';
import {
  superviseWorkflowId,
  supervisionProgressSignal,
  type SupervisionProgress,
  type SupervisionResult,
} from '../supervise/contract';
import { startOrAdoptTraining } from '../pipeline/train';
import type { RunSafety } from '../pipeline/safety';
import { summarized } from '../summaries';
import { stopSupervisedJobSignal, superviseTrainingJob } from '../supervise';
import { applicationCause } from '../failure-cause';
import { holdFleetBudget, NOTHING_HELD, type FleetBudgetHold } from '../pipeline/fleet-budget';
import { trialStopsOnFleetOverrun, trialsReserveFleetBudget } from './patches';
import { trialFleetStops } from './fleet-stop';
import { seenOf, trialResult } from './result';
import { pausesTrialsAtRungs } from '../pipeline/patches';
import {
  holdTrialSignal,
  stopTrialSignal,
  trialReportSignal,
  type HoldTrial,
  type StopTrial,
  type TrialInput,
  type TrialReport,
  type TrialResult,
} from './contract';

/**
 * One trial of a pipeline's sweep: trains `train.config` with the trial's values as its own job (named
 * after the pipeline's run and the trial, adopted when a retry finds it), supervised by the one
 * supervisor of that job. It looks at the job as it nears each rung and tells the pipeline the value
 * there; the pipeline answers a losing trial with a stop, and the trial stops its job by cancelling the
 * supervision, which stops it saving a checkpoint. A trial paused at a rung stops its job the same
 * way and waits: resumed (the job from its latest checkpoint, under a new supervisor) or stopped for
 * good. Ends with the trial's best checkpoint. Told to, it first reserves its job's `budget.maxCost`
 * against the fleet budget (waiting in line while the fleet is full; a stop then ends it with no job),
 * holds it while paused, and settles its own job's cost when it ends.
 */
export async function sweepTrial(input: TrialInput): Promise<TrialResult> {
  const { spec, index } = input;
  if (spec.train.kind !== 'tensorone' || !spec.train.sweep)
    throw ApplicationFailure.nonRetryable('a sweep trial trains a TensorOne job of a sweep', 'INVALID_INPUT');
  const train = spec.train;
  const rungs = train.sweep?.halving?.rungs ?? [];
  const trialSpec: PipelineSpec = {
    ...spec,
    train: {
      ...train,
      config: configWith(train.config, input.params),
      tags: [...train.tags, `sweep-trial:${index}`],
      sweep: undefined,
    },
  };
  const parent = workflowInfo().parent;
  const tell = (report: Omit<TrialReport, 'index'>): Promise<void> =>
    parent
      ? CancellationScope.nonCancellable(() =>
          getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(trialReportSignal, {
            index,
            ...report,
          }),
        )
      : Promise.resolve();
  const label = Object.entries(input.params)
    .map(([k, v]) => `${k.split('.').pop()}=${v}`)
    .join(', ');

  let stop: StopTrial | undefined;
  let progress: SupervisionProgress | undefined;
  // A pause not yet acted on is undone by the resume that follows it.
  let pause: { order: HoldTrial; acted: boolean } | undefined;
  let resume: HoldTrial | undefined;
  setHandler(stopTrialSignal, (s) => void (stop ??= s));
  setHandler(supervisionProgressSignal, (p) => void (progress = p));
  setHandler(holdTrialSignal, (h) => {
    if (h.hold === 'pause') pause ??= { order: h, acted: false };
    else if (pause && !pause.acted) pause = undefined;
    else if (pause) resume ??= h;
  });

  const safety: RunSafety = { owned: true, nameBasis: input.nameBasis };
  const status: PipelineStatus = { phase: 'training', provider: 'tensorone', pinned: [], updatedAt: '' };
  const reservesBudget = input.reservesFleetBudget === true && trialsReserveFleetBudget();
  let hold: FleetBudgetHold = NOTHING_HELD;
  /** Tells the fleet budget the job's cost when it moved by a step (only while a reservation is held). */
  let reportCost: (look: { cost?: number; percentage?: number }) => Promise<void> = async () => undefined;
  /** In line for the fleet budget: the pipeline's table shows it, and so does the trial's page. */
  const inLine = () => {
    const why = status.fleetBudget ?? 'awaiting budget';
    setCurrentDetails(`trial ${index} (${label}): ${why}`);
    tell({ awaitingBudget: why }).catch(() => undefined);
  };
  const supervisorScope = new CancellationScope();
  let ended: Promise<void> | undefined;
  let supervision: { result?: SupervisionResult; error?: unknown } | undefined;
  let jobId: string | undefined;
  // Resumed and not yet under its new supervisor: an end now leaves the job to stop here.
  let resumedUnsupervised = false;
  let supervisor: ChildWorkflowHandle<typeof superviseTrainingJob> | undefined;
  let resumes = 0;
  // The supervision stopped the job at our stop signal (a pause, or any stop after a resume).
  let stopSignalled = false;
  /** Stops the job through its supervisor's stop (saving a checkpoint), and waits for the supervision to end. */
  const stopSupervised = async (reason: string): Promise<void> => {
    const handle = supervisor;
    stopSignalled = true;
    if (handle)
      await CancellationScope.nonCancellable(() => handle.signal(stopSupervisedJobSignal, { reason }));
    await ended;
  };
  try {
    if (reservesBudget) {
      hold = await reserveFleetBudget();
      // Holding a reservation: its cost is reported from its looks, and the fleet budget may stop it.
      if (hold.held() && trialStopsOnFleetOverrun())
        reportCost = trialFleetStops(spec.budget?.maxCost, (s) => void (stop ??= s));
      // Stopped before its job was created (the sweep's budget reached while it waited): nothing to train.
      if (stop) {
        await hold.settle(0);
        return { index, end: stop.end, why: stop.reason, cost: 0 };
      }
    }
    jobId = await startOrAdoptTraining(trialSpec, status, safety, `trial-${String(index).padStart(2, '0')}-`);
    const job = jobId;
    await tell({ jobId, status: 'pending' });
    const supervise = async (): Promise<void> => {
      const start = () =>
        startChild(superviseTrainingJob, {
          workflowId: superviseWorkflowId('tensorone', job),
          // A trial that ends any other way still has its job stopped by the supervision.
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `supervise job ${job} of trial ${index} (${label})`,
          args: [{ provider: 'tensorone', jobId: job, ...spec.supervision, maxCost: spec.budget?.maxCost }],
        });
      // A resumed job's supervisor (the same workflow id, another run) is stopped by its stop signal,
      // never cancelled: a cancel of a reused workflow id can reach the run cancelled before.
      const handle =
        resumes === 0 ? await supervisorScope.run(start) : await CancellationScope.nonCancellable(start);
      supervisor = handle;
      ended = handle.result().then(
        (result) => void (supervision = { result }),
        (error: unknown) => void (supervision = { error }),
      );
    };
    await supervise();

    // ---- the rungs: a look as the job nears each, the value there told to the pipeline ----
    const timings = {
      minIntervalMs: parseDuration(spec.supervision.minInterval) ?? 30_000,
      freshnessMs: parseDuration(spec.supervision.freshness) ?? 300_000,
    };
    let told = '';
    const tellProgress = async (
      seen: ProgressSeen,
      cost: number | undefined,
      metrics: Record<string, number>,
      percentage?: number,
    ) => {
      const done = epochsDone(seen);
      const metric = metrics[spec.selection.metric];
      setCurrentDetails(
        `trial ${index} (${label}): job \`${job}\` ${seen.status}, epoch ${done}/${seen.totalEpochs ?? '-'}`,
      );
      await reportCost({ cost, percentage });
      const key = `${seen.status}|${done}|${train.sweep?.maxCost !== undefined ? cost : ''}`;
      if (key === told) return;
      told = key;
      await tell({
        jobId: job,
        status: seen.status,
        epoch: done,
        totalEpochs: seen.totalEpochs,
        cost,
        metric,
      });
    };
    let next = 0;
    let forwarded: SupervisionProgress | undefined;
    // With a sweep budget the looks go on past the last rung: the pipeline sums the trials' costs.
    const looksToTheEnd = train.sweep?.maxCost !== undefined;
    const held = () => pause !== undefined && !pause.acted;
    for (;;) {
      while (supervision === undefined && stop === undefined && !held()) {
        const rung = rungs[next] as number | undefined;
        if (rung === undefined && !looksToTheEnd) {
          // Past the last rung: the supervision's reports keep the pipeline's table current.
          await condition(
            () => supervision !== undefined || stop !== undefined || held() || progress !== forwarded,
          );
          if (progress && progress !== forwarded) {
            forwarded = progress;
            await tellProgress({ ...progress }, progress.cost, progress.metrics, progress.percentage);
          }
          continue;
        }
        const look = await polling.getTrainingJob(job);
        const seen = seenOf(look);
        await tellProgress(seen, look.cost, look.metrics, look.progress.percentage);
        if (rung !== undefined && epochsDone(seen) >= rung) {
          const page = await summarized(
            paging.listCheckpoints,
            `list checkpoints of job ${job} up to epoch ${rung}, with metrics`,
            { jobId: job, includeMetrics: true, sortBy: 'epoch', sortOrder: 'asc', limit: 100 },
          );
          // Judged only once the rung's own checkpoint is listed: never on fewer epochs than the others.
          if (page.checkpoints.some((c) => (c.epoch ?? 0) >= rung)) {
            const value = rungValue(page.checkpoints, rung, spec.selection);
            await tell({ jobId: job, rung: { epoch: rung, ...(Number.isFinite(value) ? { value } : {}) } });
            next += 1;
            continue;
          }
        }
        const waitMs =
          rung === undefined
            ? timings.freshnessMs
            : nextRungLookMs({ ...seen, remainingMs: remainingMs(look, Date.now()) }, rung, timings);
        await condition(() => supervision !== undefined || stop !== undefined || held(), waitMs);
      }
      if (!pause || stop !== undefined || supervision !== undefined || !pausesTrialsAtRungs()) break;

      // ---- paused at a rung: the job stopped with a checkpoint (the supervision's cancel), then resumed or stopped ----
      pause.acted = true;
      await stopSupervised(pause.order.reason);
      const paused = supervision as { result?: SupervisionResult; error?: unknown } | undefined;
      // Ended otherwise meanwhile (completed, failed): the trial ends as its job did.
      if (!paused || paused.result || applicationCause(paused.error)?.type !== 'TRAINING_STOPPED_BY_OPERATOR')
        break;
      setCurrentDetails(`trial ${index} (${label}): job \`${job}\` paused at epoch ${pause.order.epoch}`);
      await condition(() => stop !== undefined || resume !== undefined);
      if (stop !== undefined || !resume) break;
      resumedUnsupervised = true;
      await summarized(
        provider.resumeTrainingJob,
        `resume job ${job} from its latest checkpoint: ${resume.reason}`,
        { jobId: job },
      );
      supervision = undefined;
      stopSignalled = false;
      resumes += 1;
      await supervise();
      resumedUnsupervised = false;
      pause = undefined;
      resume = undefined;
      told = '';
    }

    // ---- stopped by the pipeline: the supervision is cancelled, which stops the job saving a checkpoint ----
    if (supervision === undefined && resumes > 0) await stopSupervised(stop?.reason ?? 'sweep trial stopped');
    else if (supervision === undefined) supervisorScope.cancel();
    await ended;
    const result = await trialResult(
      spec,
      index,
      job,
      supervision as NonNullable<typeof supervision>,
      stop,
      progress,
      stopSignalled,
    );
    // This trial's own job's cost, by the looks made (none reported: the whole reservation counts).
    await hold.settle(result.cost ?? 'unknown');
    return result;
  } catch (err) {
    // Cancelled (the pipeline was) or failed: nothing of this trial is left training.
    if (resumedUnsupervised && jobId) {
      const resumed = jobId;
      await CancellationScope.nonCancellable(() =>
        provider.stopTrainingJobIfRunning({ jobId: resumed, reason: `sweep trial ${index} ended` }),
      );
    } else if (ended && resumes > 0) {
      if (supervision === undefined) await stopSupervised(`sweep trial ${index} ended`);
    } else if (ended) {
      supervisorScope.cancel();
      await ended;
    } else if (safety.job) {
      const started = safety.job.id;
      await CancellationScope.nonCancellable(() =>
        provider.stopTrainingJobIfRunning({ jobId: started, reason: `sweep trial ${index} ended` }),
      );
    }
    // Its job's last cost is not known: the whole reservation counts; no job, nothing.
    if (hold.held()) await hold.settle(safety.job ? 'unknown' : 0);
    throw err;
  }

  /** Admitted, or in line until admitted or stopped; a refusal fails the trial with the budget's words. */
  async function reserveFleetBudget(): Promise<FleetBudgetHold> {
    if (stop) return NOTHING_HELD;
    try {
      return await holdFleetBudget(status, inLine, spec.budget, {
        asksPresence: () => true,
        presenceByActivity: () => true,
        leavesLine: () => stop !== undefined,
      });
    } catch (err) {
      const refusal = applicationCause(err);
      if (refusal?.type?.startsWith('FLEET_BUDGET_'))
        throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
      throw err;
    }
  }
}
