import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { currentDetails } from './current-details';
import type { CleanupResult } from '../cleanup/contract';
import type {
  CandidateSummary,
  DeploymentSummary,
  PipelinePhase,
  PipelineResult,
  PipelineStatus,
} from './contract';
import { describeFailure } from '../failure-cause';
import type { Decision, KnownCheckpoints } from './operator-updates';
import { updateSearchAttributes } from './search-attribute-updates';
import { claimedCandidate } from './choose';
import { requireTrainingEnded } from './believe';
import {
  cleansUp,
  cleanUpCheckpoints,
  forgetDeleted,
  startCleanupAhead,
  type CleanupAhead,
} from './clean-up';
import { deployAndVerify } from './deploy';
import { decisionArrived, passGate, servingMetric, settleApproval } from './gate';
import { championBaseline, promoteToSlot, promotionText, recordPromotionInRegistry } from './promote';
import { installPipelineHandlers } from './handlers';
import { readAhead } from './reads-ahead';
import { validate } from './input';
import {
  looksBeforeDeploy,
  recordsProtection,
  recordsWithPromotion,
  startsCleanupWithDeploy,
  usesServingSlot,
} from './patches';
import type { ProtectionRequest } from '../../decisions/protection';
import { pipelineNotices, resultText, type PipelineNotices } from './notify';
import { protect, servedCheckpoint } from './protect';
import {
  cancelledResult,
  runSafety,
  stopDuplicates,
  stopLateDuplicates,
  undoBilled,
  type RunSafety,
} from './safety';
import { iso, leftovers, moveTo } from './status';
import { pipelineMetrics } from '../metrics';
import { startOrAdoptTraining, superviseChild } from './train';
import { holdFleetBudget, NOTHING_HELD, reservesFleetBudget, sweepBudgetPhase } from './fleet-budget';
import {
  candidateChosen,
  failed,
  inPhase,
  jobKnown,
  trainingReported,
  undoFailed,
} from '../../decisions/pipeline-status';
import { runSweep } from '../sweep/coordinate';
import { watchFleetStops } from './fleet-stop';
import { trialsReserveFleetBudget } from '../sweep/patches';

/**
 * Fine-tune → deploy: train (start, adopt or follow), supervise as a child, choose the checkpoint by the
 * declared policy, gate (threshold, serving model, optional human approval), deploy and smoke-test
 * (removing a failed deployment), then clean up old checkpoints. Cancel stops training with a saved
 * checkpoint; pinned checkpoints are never deleted.
 */
export async function fineTuneToDeploy(rawInput: unknown): Promise<PipelineResult> {
  const spec = validate(rawInput);
  const providerName = spec.train.kind === 'marqtune' ? 'marqtune' : 'tensorone';
  const status: PipelineStatus = { phase: 'starting', provider: providerName, pinned: [], updatedAt: iso() };
  const pipelineScope = new CancellationScope();
  const known: KnownCheckpoints = { deleted: new Set() };
  const operator = installPipelineHandlers(status, pipelineScope, known);
  const notices = pipelineNotices(status);
  const phase = (p: PipelinePhase) => {
    moveTo(status, inPhase(status, p, iso()));
    setCurrentDetails(currentDetails(status));
    updateSearchAttributes({ phase: p });
    notices.phaseEntered(p);
    if (p === 'completed' || p === 'cancelled' || p === 'failed')
      pipelineMetrics.ended(p === 'completed' ? 'deployed' : p, spec.deploy.target);
  };
  updateSearchAttributes({ provider: providerName, phase: 'starting' });
  pipelineMetrics.started(providerName, spec.deploy.target);
  const safety = runSafety();

  try {
    const result = await pipelineScope.run(() =>
      run(spec, status, phase, operator.decision, safety, known, notices),
    );
    notices.notify('result', resultText(result));
    await Promise.all([notices.delivered(), operator.pinsRecorded()]);
    // An operator's pin in flight (its protection record) is answered before the pipeline ends.
    await condition(allHandlersFinished);
    return result;
  } catch (err) {
    // Nothing billed stays behind a pipeline that did not deploy: its job stops, duplicates are stopped.
    const undoFailure = safety.owned ? await undoBilled(spec, status, safety) : undefined;
    // A job that ended early keeps its whole reservation (its last cost is not known); no job, nothing.
    if (safety.fleet?.held()) await safety.fleet.settle(status.jobId ? 'unknown' : 0);
    if (undoFailure !== undefined) {
      moveTo(
        status,
        undoFailed(status, `could not stop what this pipeline started: ${describeFailure(undoFailure)}`),
      );
      if (isCancellation(err)) throw undoFailure;
    }
    if (operator.cancelRequested() && isCancellation(err)) {
      phase('cancelled');
      const leftRunning = status.deployment?.removeByHand ? status.deployment : undefined;
      if (leftRunning) notices.notify('failed', `cancelled, but ${leftRunning.removeByHand}`);
      await notices.delivered();
      await condition(allHandlersFinished);
      return cancelledResult(status, safety, leftRunning);
    }
    if (!isCancellation(err)) {
      moveTo(status, failed(status, describeFailure(err)));
      phase('failed');
      notices.notify('failed', `failed: ${status.failure}`);
      await CancellationScope.nonCancellable(() => notices.delivered());
    }
    throw err;
  }
}

/** The steps, in order. Each awaits its activities and children directly (as recorded histories expect). */
async function run(
  spec: PipelineSpec,
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  decision: () => Decision | undefined,
  safety: RunSafety,
  known: KnownCheckpoints,
  notices: Pick<PipelineNotices, 'notify' | 'webhookAnswered'>,
): Promise<PipelineResult> {
  const { notify } = notices;
  // ---- reserve the job's cost against the fleet budget (waits while the fleet is at its limit) ----
  // A sweep's trials reserve each their own job's instead: the pipeline holds nothing.
  const trialsReserve = spec.train.kind === 'tensorone' && !!spec.train.sweep && trialsReserveFleetBudget();
  safety.fleet =
    !trialsReserve && reservesFleetBudget(spec)
      ? await holdFleetBudget(status, phase, spec.budget, { webhookAnswered: notices.webhookAnswered })
      : NOTHING_HELD;

  // ---- train ----
  phase('training');
  // A sweep trains its trials as children and goes on with the winner's job (src/workflows/sweep).
  const swept =
    spec.train.kind === 'tensorone' && spec.train.sweep
      ? await runSweep(spec, status, safety, trialsReserve, sweepBudgetPhase(status, phase))
      : undefined;
  const jobId = swept ? swept.jobId : await startOrAdoptTraining(spec, status, safety);
  moveTo(status, jobKnown(status, jobId));
  updateSearchAttributes({ jobId });
  stopLateDuplicates(status, safety);

  // ---- wait: the supervising child ----
  // Holding a fleet budget reservation: its cost is reported, and the budget may stop the job.
  const fleetWatch = swept ? undefined : watchFleetStops(status, safety.fleet, spec.budget?.maxCost);
  const supervision = swept
    ? swept.supervision
    : fleetWatch
      ? await fleetWatch.supervise(jobId, (onStarted, costReportStep) =>
          superviseChild(spec, status.provider, jobId, onStarted, costReportStep),
        )
      : await superviseChild(spec, status.provider, jobId);
  const fleetStopped = fleetWatch?.stoppedBy();
  // The look the supervision finished at comes in its result, not as a progress signal.
  if (supervision.progress) moveTo(status, trainingReported(status, supervision.progress));
  if (supervision.earlyStop) status.earlyStop = supervision.earlyStop;
  await safety.fleet.settle(supervision.job.cost ?? 'unknown');
  // A create the provider acted on after its answer was lost has made its duplicate by now.
  if (safety.job?.inDoubt) await stopDuplicates(status, safety);

  // ---- compare ----
  phase('comparing');
  const ahead = readAhead(spec, jobId, status);
  const candidate = await claimedCandidate(
    spec,
    jobId,
    status.provider,
    safety,
    known,
    ahead.championWithClaim,
  );
  moveTo(status, candidateChosen(status, candidate));

  // ---- gate ----
  phase('gating');
  // Awaited only when there is something to ask: an extra await reorders commands in recorded histories.
  const baseline = ahead.baseline
    ? await ahead.baseline()
    : spec.gate.servingModelId
      ? await servingMetric(spec, jobId, spec.gate.servingModelId)
      : usesServingSlot() && spec.gate.compareWithChampion !== false
        ? await championBaseline(spec, status)
        : undefined;
  const verdict = passGate(spec, candidate, baseline, status);
  if (spec.gate.approval?.required) {
    phase('awaiting-approval');
    const waitFrom = Date.now();
    const decided = await decisionArrived(spec.gate.approval, candidate, status, decision);
    const taken = decided ? decision() : undefined;
    pipelineMetrics.approvalWait(
      (Date.now() - waitFrom) / 1000,
      taken ? (taken.approved ? 'approved' : 'rejected') : 'timed-out',
    );
    settleApproval(spec.gate.approval, decided ? decision() : undefined, candidate, verdict, status);
  }

  // ---- deploy, wait until it serves, smoke-test; remove it if any of that fails ----
  // Never on a job that may still train: a look right before says it has ended, believably.
  if (ahead.trainingEnded) await ahead.trainingEnded();
  else if (looksBeforeDeploy()) await requireTrainingEnded(jobId, status.provider);
  phase('deploying');
  // The cleanup child starts reading now; it deletes only once the deployment serves, never if it fails.
  const cleanupAhead =
    cleansUp(spec, status) && startsCleanupWithDeploy()
      ? startCleanupAhead(spec, jobId, candidate, status)
      : undefined;
  let promoted: Awaited<ReturnType<typeof deployAndPromote>>;
  try {
    promoted = await deployAndPromote(spec, jobId, candidate, status, phase, safety, notify, cleanupAhead);
  } catch (err) {
    await cleanupAhead?.notNeeded();
    throw err;
  }
  const { deployment, notes, cleanupTold } = promoted;

  // ---- clean up ----
  let cleanup: CleanupResult | undefined;
  if (cleansUp(spec, status)) {
    phase('cleaning-up');
    cleanup = cleanupAhead
      ? await cleanupAhead.deploymentServes(status.pinned, cleanupTold)
      : await cleanUpCheckpoints(spec, jobId, candidate, status);
    forgetDeleted(known, cleanup);
  }

  phase('completed');
  return {
    ...leftovers(status),
    outcome: 'deployed',
    jobId,
    provider: status.provider,
    checkpoint: candidate,
    deployment,
    deletedCheckpoints: cleanup?.deleted ?? [],
    bytesReclaimed: cleanup?.bytesReclaimed ?? 0,
    cost: swept ? swept.table.cost : supervision.job.cost,
    resumes: supervision.resumes,
    budgetStopped: supervision.outcome === 'budget-stopped',
    ...(fleetStopped ? { fleetBudgetStopped: fleetStopped } : {}),
    ...(supervision.earlyStop ? { earlyStop: supervision.earlyStop } : {}),
    gate: status.gate,
    ...(status.probe ? { probe: status.probe } : {}),
    ...(status.slot ? { slot: status.slot } : {}),
    ...(notes.length ? { notes } : {}),
    ...(swept ? { sweep: swept.table } : {}),
  };
}

/**
 * Deploys, waits until it serves, smoke-tests (removing it if any of that fails), then promotes it.
 * The promotion's activity tells the started `cleanup` child that the deployment serves, when it
 * records with the promotion and could tell it (`cleanupTold`).
 */
async function deployAndPromote(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  safety: RunSafety,
  notify: PipelineNotices['notify'],
  cleanup?: CleanupAhead,
): Promise<{ deployment: DeploymentSummary; notes: string[]; cleanupTold: boolean }> {
  let deployment: Awaited<ReturnType<typeof deployAndVerify>>;
  try {
    deployment = await deployAndVerify(spec, jobId, candidate, status, phase, safety);
  } catch (err) {
    if (!isCancellation(err)) pipelineMetrics.deploy('failed', spec.deploy.target);
    throw err;
  }
  pipelineMetrics.deploy('serving', spec.deploy.target);
  pipelineMetrics.timeToDeploy((Date.now() - workflowInfo().startTime.getTime()) / 1000, spec.deploy.target);
  const served = servedCheckpoint(spec, candidate);
  const deployedRecord = (checkpointId: string): ProtectionRequest[] => [
    { kind: 'deployed', checkpointId, target: deployment.target, deploymentId: deployment.id },
  ];
  const deployed = (checkpointId: string) => protect(deployedRecord(checkpointId));

  // ---- promote: it serves the pipeline's name; the former champion drains, then is retired ----
  const notes: string[] = [];
  let cleanupTold = false;
  if (usesServingSlot()) {
    // The record rides with the promotion (one activity, the record first) where both are made.
    const withPromotion = served !== undefined && recordsWithPromotion() && recordsProtection();
    // A cancel waits until the deployment is recorded and in the slot: never serving unowned.
    if (served && !withPromotion) await CancellationScope.nonCancellable(() => deployed(served));
    // Only the run this pipeline started is told: never one an earlier run of the same id left.
    const cleanupRun = withPromotion ? cleanup?.startedRun() : undefined;
    const promoted = await promoteToSlot(
      spec,
      jobId,
      candidate,
      served,
      deployment,
      status,
      withPromotion ? deployedRecord(served) : undefined,
      // A pin accepted after this is in the shared records before it is answered: the cleanup's lease asks them.
      cleanupRun ? { ...cleanupRun, protectedCheckpointIds: [...status.pinned] } : undefined,
    );
    cleanupTold = promoted.cleanupTold === true;
    notify('promoted', promotionText(spec.name, promoted));
    const registryNote = await recordPromotionInRegistry(spec, candidate, deployment);
    if (registryNote) notes.push(registryNote);
  } else if (served) await deployed(served);

  return { deployment, notes, cleanupTold };
}
