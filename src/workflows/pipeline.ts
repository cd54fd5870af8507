import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  executeChild,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type * as PipelineInputModule from '../domain/pipeline-input';
import type { PipelineSpec } from '../domain/pipeline-input';
import type { Deployment } from '../domain/types';
import { chooseCandidate } from '../decisions/candidate';
import { parseDuration } from '../decisions/duration';
import { evaluateGate } from '../decisions/gate';
import { nextGpuType } from '../decisions/supervision';
import { checkpointInModelPath, type ProtectionRequest } from '../decisions/protection';
import { isAbsent } from '../domain/capability';
import { notifier, paging, protectionRecords, provider, smoke, untilServing } from './activity-stubs';
import { listCandidateCheckpoints } from './checkpoint-pages';
import { checkpointCleanup } from './cleanup';
import {
  approveSignal,
  cancelSignal,
  pinSignal,
  rejectSignal,
  statusQuery,
  supervisionProgressSignal,
  type CandidateSummary,
  type CleanupResult,
  type DeploymentSummary,
  type PipelineLeftovers,
  type PipelinePhase,
  type PipelineResult,
  type PipelineStatus,
  type SupervisionResult,
} from './definitions';
import { updateSearchAttributes } from './search-attribute-updates';
import type { PipelineNotification } from '../activities/notify';
import { superviseTrainingJob } from './supervise';
import { applicationCause, describeFailure } from './failure-cause';
import { currentDetails } from './current-details';
import { shortTime, summarized } from './summaries';

const MAX_DEPLOY_POLL_MS = 15_000;
/**
 * Released after v3: what the pipeline creates is named after its run (a rerun creates anew), a create
 * completes before a cancel does and is then undone, a pipeline that does not end deployed stops its
 * job, duplicates of a create in doubt are stopped or reported, and the registry target gates the
 * registered model it deploys. Histories recorded before it replay the old path.
 */
const RUN_OWNED_PATCH = 'pipeline-run-owned-resources';
/**
 * After a create in doubt, the job list is read again once this long has passed: a provider that acts
 * on a create after the client gave up has done so by then. Supervision's end reads it once more.
 */
const LATE_CREATE_WINDOW_MS = 5 * 60_000;

/** What this run created, for undoing it when the pipeline does not end deployed. */
interface RunSafety {
  owned: boolean;
  /** Name basis passed to creating activities: the workflow id and this run. */
  nameBasis?: string;
  /** The job this run created or adopted, its name, and whether its create was in doubt. */
  job?: { id: string; name: string; inDoubt: boolean };
}

/**
 * Released after v5: a pipeline whose worker has no webhook (the first delivery answers
 * `configured: false`) schedules no further notification activity.
 */
const NOTIFY_ONLY_WITH_WEBHOOK_PATCH = 'notify-only-with-a-webhook';

/** Candidate, deployment and pins go to the shared protection records (src/workflows/protection.ts). */
const PROTECTION_RECORDS_PATCH = 'pipeline-records-protected-checkpoints';
/** The candidate is claimed through the registry's Update, which refuses one a cleanup is deleting. */
const CANDIDATE_CLAIM_PATCH = 'pipeline-claims-candidate';

/** Records checkpoints this run holds, so every cleanup keeps them (runs recorded before skip it). */
async function protect(requests: ProtectionRequest[]): Promise<void> {
  if (patched(PROTECTION_RECORDS_PATCH))
    await summarized(
      protectionRecords.recordProtection,
      `keep ${requests.map((r) => `${r.kind} checkpoint ${r.checkpointId}`).join(', ')} out of every cleanup`,
      requests,
    );
}

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
  let decision: { approved: boolean; by?: string; reason?: string } | undefined;
  let cancelRequest: { reason?: string } | undefined;
  const pipelineScope = new CancellationScope();

  setHandler(statusQuery, () => status);
  setHandler(supervisionProgressSignal, (p) => {
    status.training = p;
    status.updatedAt = iso();
    setCurrentDetails(currentDetails(status));
  });
  setHandler(approveSignal, (d) => void (decision ??= { approved: true, ...d }));
  setHandler(rejectSignal, (d) => void (decision ??= { approved: false, ...d }));
  let pinsRecorded: Promise<unknown> = Promise.resolve();
  setHandler(pinSignal, (checkpointId) => {
    if (status.pinned.includes(checkpointId)) return;
    status.pinned.push(checkpointId);
    // A pin holds against every cleanup, not only this pipeline's own.
    pinsRecorded = pinsRecorded.then(() =>
      protect([{ kind: 'pinned', checkpointId }]).catch(() => undefined),
    );
  });
  setHandler(cancelSignal, (req) => {
    cancelRequest = req ?? {};
    pipelineScope.cancel();
  });

  // Notifications go out in order without holding the pipeline up; a failed delivery is dropped.
  const notifications = patched('webhook-notifications');
  // The first delivery's answer says whether the worker has a webhook at all; without one, no more
  // notification activities (pipelines started before this notify at every phase).
  const askOnce = patched(NOTIFY_ONLY_WITH_WEBHOOK_PATCH);
  let webhookConfigured: boolean | undefined;
  let delivered: Promise<unknown> = Promise.resolve();
  const notify = (kind: PipelineNotification['kind'], text: string) => {
    if (!notifications || webhookConfigured === false) return;
    const workflowId = workflowInfo().workflowId;
    const p = status.phase;
    delivered = delivered.then(async () => {
      if (webhookConfigured === false) return;
      const answer = await summarized(notifier.notifyWebhook, `notify the webhook: ${kind} (${p})`, {
        workflowId,
        kind,
        phase: p,
        text,
      }).catch(() => undefined);
      if (askOnce && answer?.configured === false) webhookConfigured = false;
    });
  };
  const phase = (p: PipelinePhase) => {
    status.phase = p;
    status.updatedAt = iso();
    setCurrentDetails(currentDetails(status));
    updateSearchAttributes({ phase: p });
    notify('phase', `phase: ${p}`);
    if (p === 'awaiting-approval') {
      notify(
        'approval-requested',
        `approval needed for ${status.candidate?.checkpointId} (${status.candidate?.metric} ${status.candidate?.value}): starter approve ${workflowInfo().workflowId}`,
      );
    }
  };
  updateSearchAttributes({ provider: providerName, phase: 'starting' });
  const owned = patched(RUN_OWNED_PATCH);
  const safety: RunSafety = { owned, nameBasis: owned ? runNameBasis() : undefined };

  try {
    const result = await pipelineScope.run(() => run(spec, status, phase, () => decision, safety));
    const duplicate = result.deployment?.possibleDuplicate;
    notify(
      'result',
      `serving: ${result.deployment?.target} ${result.deployment?.id} (${result.checkpoint?.checkpointId}); deleted ${result.deletedCheckpoints.length} old checkpoints${duplicate ? `; possible duplicate: ${duplicate.reason}` : ''}`,
    );
    await Promise.all([delivered, pinsRecorded]);
    return result;
  } catch (err) {
    // Nothing billed stays behind a pipeline that did not deploy: its job stops, duplicates are stopped.
    const undoFailure = owned
      ? await CancellationScope.nonCancellable(() =>
          undoAfterEnd(spec, status, safety).then(
            () => undefined,
            (e: unknown) => e,
          ),
        )
      : undefined;
    if (undoFailure !== undefined) {
      status.failure = `could not stop what this pipeline started: ${describeFailure(undoFailure)}`;
      if (isCancellation(err)) throw undoFailure;
    }
    if (cancelRequest !== undefined && isCancellation(err)) {
      phase('cancelled');
      const leftRunning = status.deployment?.removeByHand ? status.deployment : undefined;
      if (leftRunning) notify('failed', `cancelled, but ${leftRunning.removeByHand}`);
      await delivered;
      return {
        ...leftovers(status),
        // Cancelled while cleaning up: the verified deployment serves on, and the result says so.
        ...(owned && status.deployment?.status === 'active' ? { deployment: status.deployment } : {}),
        outcome: 'cancelled',
        provider: providerName,
        jobId: status.jobId,
        ...(leftRunning ? { deployment: leftRunning } : {}),
        deletedCheckpoints: [],
        bytesReclaimed: 0,
        cost: status.training?.cost,
        resumes: status.training?.resumes ?? 0,
        budgetStopped: false,
      };
    }
    if (!isCancellation(err)) {
      status.failure = [describeFailure(err), status.failure].filter(Boolean).join('; ');
      phase('failed');
      notify('failed', `failed: ${status.failure}`);
      await CancellationScope.nonCancellable(() => delivered);
    }
    throw err;
  }
}

async function run(
  spec: PipelineSpec,
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  decision: () => { approved: boolean; by?: string; reason?: string } | undefined,
  safety: RunSafety,
): Promise<PipelineResult> {
  const wfId = workflowInfo().workflowId;

  // ---- train ----
  phase('training');
  const jobId = await startOrAdoptTraining(spec, status, safety);
  status.jobId = jobId;
  updateSearchAttributes({ jobId });
  // Runs alongside supervision; its failure or cancellation is covered by the reads after it.
  if (safety.job?.inDoubt)
    void sleep(LATE_CREATE_WINDOW_MS)
      .then(() => stopDuplicates(status, safety))
      .catch(() => undefined);

  // ---- wait: the supervising child ----
  const supervision: SupervisionResult = await executeChild(superviseTrainingJob, {
    workflowId: `${wfId}/supervise`,
    staticSummary: `supervise ${status.provider} job ${jobId} for ${wfId}`,
    staticDetails: `Looks at the job at least every **${spec.supervision.freshness}**; stall after ${spec.supervision.stallAfter}; resume budget ${spec.supervision.resumeBudget}${spec.budget?.maxCost !== undefined ? `; stops at cost ${spec.budget.maxCost}` : ''}.`,
    args: [
      {
        provider: status.provider,
        jobId,
        ...spec.supervision,
        maxCost: spec.budget?.maxCost,
      },
    ],
  });

  // A create the provider acted on after its answer was lost has made its duplicate by now.
  if (safety.job?.inDoubt) await stopDuplicates(status, safety);

  // ---- compare ----
  phase('comparing');
  const candidate = await claimedCandidate(spec, jobId, status.provider, safety);
  status.candidate = candidate;

  // ---- gate ----
  phase('gating');
  const servingValue = spec.gate.servingModelId
    ? await servingMetric(spec, jobId, spec.gate.servingModelId)
    : undefined;
  const verdict = evaluateGate(
    candidate.value,
    {
      direction: spec.selection.direction,
      threshold: spec.gate.threshold,
      minImprovement: spec.gate.minImprovement,
    },
    servingValue,
  );
  status.gate = verdict;
  if (!verdict.passed) {
    throw ApplicationFailure.nonRetryable(
      `gate rejected checkpoint ${candidate.checkpointId}: ${verdict.reasons.join('; ')}`,
      'GATE_REJECTED',
    );
  }
  if (spec.gate.approval?.required) {
    phase('awaiting-approval');
    const timeoutMs = parseDuration(spec.gate.approval.timeout)!;
    status.awaitingApprovalUntil = new Date(Date.now() + timeoutMs).toISOString();
    setCurrentDetails(currentDetails(status));
    const decided = await condition(() => decision() !== undefined, timeoutMs, {
      summary: `waiting for approval of ${candidate.checkpointId} until ${shortTime(Date.now() + timeoutMs)} (then ${spec.gate.approval.onTimeout})`,
    });
    status.awaitingApprovalUntil = undefined;
    const d = decided
      ? decision()!
      : {
          approved: spec.gate.approval.onTimeout === 'approve',
          reason: `no decision within ${spec.gate.approval.timeout}`,
        };
    status.gate = {
      passed: d.approved,
      reasons: [
        ...verdict.reasons,
        `${d.approved ? 'approved' : 'rejected'}${d.by ? ` by ${d.by}` : ''}${d.reason ? `: ${d.reason}` : ''}`,
      ],
    };
    if (!d.approved) {
      throw ApplicationFailure.nonRetryable(
        `deployment of ${candidate.checkpointId} rejected${d.reason ? `: ${d.reason}` : ''}`,
        decided ? 'APPROVAL_REJECTED' : 'APPROVAL_TIMED_OUT',
      );
    }
  }

  // ---- deploy, wait until it serves, smoke-test; remove it if any of that fails ----
  phase('deploying');
  const deployment = await deployAndVerify(spec, jobId, candidate, status, phase, safety);
  const served =
    spec.deploy.target === 'tensormesh'
      ? checkpointInModelPath(spec.deploy.modelPath ?? `tensorone://checkpoints/${candidate.checkpointId}`)
      : candidate.checkpointId;
  if (served)
    await protect([
      { kind: 'deployed', checkpointId: served, target: deployment.target, deploymentId: deployment.id },
    ]);

  // ---- clean up ----
  let cleanup: CleanupResult | undefined;
  if (spec.cleanup.enabled && status.provider === 'tensorone') {
    phase('cleaning-up');
    cleanup = await executeChild(checkpointCleanup, {
      workflowId: `${wfId}/cleanup`,
      staticSummary: `delete old checkpoints of job ${jobId} (keep the newest ${spec.cleanup.retention.keepLastN ?? 3}, the chosen and pinned)`,
      args: [
        {
          jobIds: [jobId],
          retention: spec.cleanup.retention,
          protectedCheckpointIds: [candidate.checkpointId, ...status.pinned],
          maxDeletes: spec.cleanup.maxDeletes,
        },
      ],
    });
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
    cost: supervision.job.cost,
    resumes: supervision.resumes,
    budgetStopped: supervision.outcome === 'budget-stopped',
    gate: status.gate,
  };
}

/** Starts a TensorOne job (falling back through the GPU preference list), adopts one, or follows Marqtune. */
async function startOrAdoptTraining(
  spec: PipelineSpec,
  status: PipelineStatus,
  safety: RunSafety,
): Promise<string> {
  const train = spec.train;
  if (train.kind === 'tensorone-existing') return (await provider.getTrainingJob(train.jobId)).id;
  if (train.kind === 'marqtune') return (await provider.getMarqtuneModel(train.modelId)).id;
  const tried: string[] = [];
  let available: string[] | undefined;
  for (;;) {
    if (safety.owned) throwIfCancelled();
    const gpuType = nextGpuType(train.gpuTypes, tried, available);
    if (!gpuType) {
      throw ApplicationFailure.nonRetryable(
        `no GPU type from [${train.gpuTypes.join(', ')}] is available (tried ${tried.join(', ')}; provider offers ${available?.join(', ') ?? 'nothing'})`,
        'NO_GPU_AVAILABLE',
      );
    }
    tried.push(gpuType);
    status.gpuType = gpuType;
    try {
      const request = {
        step: `train-${gpuType}`,
        modelType: train.modelType,
        datasetId: train.datasetId,
        config: train.config,
        gpuType,
        maxWorkers: train.maxWorkers,
        priority: train.priority,
        description: train.description,
        tags: [...train.tags, `pipeline:${spec.name}`],
      };
      if (!safety.owned) return (await provider.startTrainingJob(request)).id;
      // The create completes even when the pipeline is cancelled meanwhile: then it is undone, not lost.
      const job = await CancellationScope.nonCancellable(() =>
        summarized(
          provider.startTrainingJob,
          `start training ${train.modelType} on ${train.datasetId} (${gpuType})`,
          { ...request, nameBasis: safety.nameBasis },
        ),
      );
      safety.job = { id: job.id, name: job.name, inDoubt: job.inDoubt };
      status.jobId = job.id;
      if (job.inDoubt) await CancellationScope.nonCancellable(() => stopDuplicates(status, safety));
      throwIfCancelled();
      return job.id;
    } catch (err) {
      const failure = applicationCause(err);
      if (failure?.type !== 'INSUFFICIENT_RESOURCES') throw err;
      const details = (failure.details?.[0] as { details?: { availableGpuTypes?: unknown } } | undefined)
        ?.details;
      available = Array.isArray(details?.availableGpuTypes)
        ? details.availableGpuTypes.map(String)
        : available;
    }
  }
}

/**
 * The candidate, held in the shared protection records before anything judges it. A cleanup may be
 * deleting the chosen checkpoint at this moment (it planned before this run chose): the registry
 * then refuses the claim and the choice is made again without it. Each pass excludes at least one
 * checkpoint, so this ends.
 */
async function claimedCandidate(
  spec: PipelineSpec,
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
  safety: RunSafety,
): Promise<CandidateSummary> {
  const registered =
    safety.owned && spec.deploy.target === 'tensorone-registry' && providerName === 'tensorone';
  const claims = patched(CANDIDATE_CLAIM_PATCH);
  const excluded: string[] = [];
  for (;;) {
    const candidate = registered
      ? await registeredCandidate(spec, jobId)
      : await chooseCheckpoint(spec, jobId, providerName, excluded);
    if (!claims) {
      await protect([{ kind: 'candidate', checkpointId: candidate.checkpointId }]);
      return candidate;
    }
    const answer = await protectionRecords.claimProtection([
      { kind: 'candidate', checkpointId: candidate.checkpointId },
    ]);
    if (answer.beingDeleted.length === 0) return candidate;
    const taken = answer.beingDeleted.map((d) => `${d.checkpointId} (being deleted by ${d.by})`).join(', ');
    // The registry's model is made from the final checkpoint, which no retention policy deletes.
    if (registered)
      throw ApplicationFailure.nonRetryable(
        `the checkpoint of job ${jobId}'s registered model is being deleted: ${taken}`,
        'CHECKPOINT_BEING_DELETED',
      );
    log.info(`candidate ${taken}: choosing again without it`);
    excluded.push(...answer.beingDeleted.map((d) => d.checkpointId));
  }
}

/** The candidate by the declared policy, cross-checked against the provider's own best checkpoint. */
async function chooseCheckpoint(
  spec: PipelineSpec,
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
  excluded: readonly string[] = [],
): Promise<CandidateSummary> {
  if (providerName === 'marqtune') {
    // Marqtune lists per-epoch checkpoints without metrics: the last completed epoch is the candidate.
    const model = await provider.getMarqtuneModel(jobId);
    const usable = model.checkpointIds.filter((id) => !excluded.includes(id));
    const last = usable[usable.length - 1];
    if (!last)
      throw ApplicationFailure.nonRetryable(`Marqtune model ${jobId} has no checkpoint`, 'NO_CANDIDATE');
    return {
      checkpointId: last,
      epoch: model.checkpointIds.indexOf(last) + 1,
      type: 'automatic',
      metric: spec.selection.metric,
      value: Number.NaN,
      metrics: {},
    };
  }
  const listing = await listCandidateCheckpoints(jobId, spec.selection);
  const { bestCheckpointId, totalCount } = listing;
  const checkpoints = listing.checkpoints.filter((c) => !excluded.includes(c.id));
  const choice = chooseCandidate(checkpoints, spec.selection, bestCheckpointId);
  if (!choice) {
    throw ApplicationFailure.nonRetryable(
      `job ${jobId} has no deployable checkpoint with metric "${spec.selection.metric}"`,
      'NO_CANDIDATE',
    );
  }
  const c = choice.checkpoint;
  return {
    checkpointId: c.id,
    epoch: c.epoch,
    type: c.type,
    metric: spec.selection.metric,
    value: choice.value,
    metrics: c.metrics,
    considered: choice.considered,
    totalCheckpoints: Math.max(totalCount, checkpoints.length),
    ...(bestCheckpointId
      ? { providerBestCheckpointId: bestCheckpointId, agreesWithProviderBest: choice.agreesWithProviderBest }
      : {}),
  };
}

/** The serving model's value of the policy metric: through the registry's compare call. */
async function servingMetric(spec: PipelineSpec, jobId: string, servingModelId: string): Promise<number> {
  const trained = (await provider.listRegisteredModels({ trainingJobId: jobId, limit: 1 })).models.find(
    (m) => m.trainingJobId === jobId,
  );
  const comparison = await provider.compareModels({
    models: trained ? [trained.id, servingModelId] : [servingModelId],
  });
  const serving = comparison.models.find((m) => m.id === servingModelId);
  const value =
    serving?.metrics[spec.selection.metric] ??
    (await provider.getRegisteredModel(servingModelId)).metrics[spec.selection.metric];
  if (typeof value !== 'number') {
    throw ApplicationFailure.nonRetryable(
      `serving model ${servingModelId} has no metric "${spec.selection.metric}" to compare against`,
      'GATE_BASELINE_MISSING',
    );
  }
  return value;
}

async function deployAndVerify(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  safety: RunSafety,
): Promise<DeploymentSummary> {
  const d = spec.deploy;
  let created: Deployment | undefined;
  const nameBasis = safety.nameBasis;
  /** A create runs to its end even when the pipeline is cancelled meanwhile, so it can be undone. */
  const create = async (
    call: () => Promise<Deployment & { inDoubt?: boolean; adopted?: boolean; name?: string }>,
  ): Promise<Deployment> => {
    if (!safety.owned) return call();
    const made = await CancellationScope.nonCancellable(call);
    // An earlier attempt's create may be acted on late, and no documented lookup finds a deployment by
    // name: unless that attempt's deployment was found and adopted, a second one may exist.
    if (made.inDoubt && !made.adopted)
      add(status, 'possibleDuplicates', `${d.target} named ${made.name ?? made.id}`);
    return made;
  };
  try {
    if (d.target === 'tensorone-endpoint') {
      created = await create(() =>
        summarized(
          provider.deployCheckpointEndpoint,
          `deploy checkpoint ${candidate.checkpointId} as an endpoint`,
          {
            step: 'deploy',
            nameBasis,
            checkpointId: candidate.checkpointId,
            gpuIds: d.gpuIds,
            workerCount: d.workerCount,
          },
        ),
      );
    } else if (d.target === 'tensorone-registry') {
      const model = candidate.registeredModelId
        ? { id: candidate.registeredModelId }
        : (await provider.listRegisteredModels({ trainingJobId: jobId, limit: 1 })).models.find(
            (m) => m.trainingJobId === jobId,
          );
      if (!model)
        throw ApplicationFailure.nonRetryable(
          `job ${jobId} has no registered model to deploy`,
          'MODEL_NOT_FOUND',
        );
      let modelId = model.id;
      if (d.versionOf) {
        await provider.createModelVersion({
          modelId: d.versionOf.modelId,
          version: d.versionOf.version,
          trainingJobId: jobId,
          description: `checkpoint ${candidate.checkpointId}`,
        });
        modelId = d.versionOf.modelId;
      }
      created = await create(() =>
        provider.deployRegisteredModel({
          modelId,
          step: 'deploy',
          nameBasis,
          environment: d.environment,
          gpuType: d.gpuType,
          workers: d.workers,
        }),
      );
    } else {
      const request = {
        step: 'deploy',
        nameBasis,
        userId: d.userId,
        modelPath: d.modelPath ?? `tensorone://checkpoints/${candidate.checkpointId}`,
        gpuType: d.gpuType,
        gpuCount: d.gpuCount,
        infra: d.infra,
        kvCacheEnabled: d.kvCacheEnabled,
        cpuOffloadingEnabled: d.cpuOffloadingEnabled,
        description: `${spec.name}: checkpoint ${candidate.checkpointId}`,
      };
      created = await create(() => provider.provisionServedModel(request));
    }
    status.deployment = summarize(d.target, created);
    if (safety.owned) throwIfCancelled();
    const serving = await waitUntilServing(
      spec,
      created,
      parseDuration(d.timeout)!,
      parseDuration(spec.supervision.minInterval)!,
      status,
    );
    phase('smoke-testing');
    if (serving.smokeTested) {
      // Already answered through its inference URL: that answer was the readiness check and the smoke test.
    } else if (d.target === 'tensormesh') {
      await smoke.smokeTestServedModel({ modelId: created.id, prompt: d.smokePrompt });
    } else {
      const res = await summarized(smoke.smokeTestEndpoint, `smoke-test endpoint ${created.id}`, {
        endpointId: created.id,
        sampleInput: d.smokeTest.input,
      });
      if (res.status && !/^(COMPLETED|SUCCESS|OK)$/i.test(res.status)) {
        throw ApplicationFailure.nonRetryable(
          `smoke test of ${created.id} returned status ${res.status}`,
          'SMOKE_TEST_FAILED',
        );
      }
    }
    return serving.summary;
  } catch (err) {
    if (!created) throw err;
    const id = created.id;
    // Remove the deployment that did not make it (also when cancelled); checkpoints stay untouched.
    const removal = await CancellationScope.nonCancellable(() =>
      d.target === 'tensormesh' ? provider.deleteServedModel(id) : provider.deleteEndpoint(id),
    );
    if (isAbsent(removal)) {
      // Never silently left running: the failure, `status` and the notification name it.
      const removeByHand = `${d.target} ${id} is still deployed and must be removed by hand: the provider offers no ${removal.route}`;
      status.deployment = { ...summarize(d.target, created), status: 'left-running', removeByHand };
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.nonRetryable(
        `deployment ${id} failed and could not be removed (${removeByHand}): ${describeFailure(err)}`,
        'DEPLOY_FAILED',
        { cause: describeFailure(err), removeByHand: id },
      );
    }
    if (safety.owned) {
      status.deployment = { ...summarize(d.target, created), status: 'removed' };
      add(status, 'removedDeployments', id);
    }
    if (isCancellation(err)) throw err;
    status.deployment = { ...summarize(d.target, created), status: 'removed' };
    throw ApplicationFailure.nonRetryable(
      `deployment ${id} failed and was removed: ${describeFailure(err)}`,
      'DEPLOY_FAILED',
      {
        cause: describeFailure(err),
      },
    );
  }
}

/**
 * Waits until the deployment serves: durable-timer polling of its status until it is active, fails, or
 * the deploy timeout passes. Without a status route (documented profile) it takes the documented path:
 * a registry deployment's status from its model's `deployments`; an endpoint or served model through
 * its own inference URL, asked by Temporal's retries until it answers (that answer is the smoke test).
 */
async function waitUntilServing(
  spec: PipelineSpec,
  created: Deployment,
  timeoutMs: number,
  minIntervalMs: number,
  status: PipelineStatus,
): Promise<{ summary: DeploymentSummary; smokeTested: boolean }> {
  const d = spec.deploy;
  const target = d.target;
  const id = created.id;
  const deadline = Date.now() + timeoutMs;
  // About sixty looks over the deploy timeout, never closer than the supervision's minimum interval.
  const pollMs = Math.min(MAX_DEPLOY_POLL_MS, Math.max(minIntervalMs, timeoutMs / 60));
  let readFromModel = false;
  for (;;) {
    const read = readFromModel
      ? await provider.getModelDeployment({ modelId: created.modelId!, deploymentId: id })
      : target === 'tensormesh'
        ? await provider.getServedModel(id)
        : await summarized(provider.getEndpoint, `is endpoint ${id} serving?`, id);
    if (isAbsent(read)) {
      if (target === 'tensorone-registry' && created.modelId) {
        readFromModel = true;
        continue;
      }
      return {
        summary: await answeredThroughInference(d, created, deadline, pollMs, status),
        smokeTested: true,
      };
    }
    const current = read;
    status.deployment = { ...status.deployment, ...summarize(target, current) };
    if (current.status === 'active') return { summary: status.deployment, smokeTested: false };
    if (current.status === 'failed' || current.status === 'deleted') {
      const event = current.events.at(-1)?.log;
      throw ApplicationFailure.nonRetryable(
        `deployment ${id} is ${current.rawStatus}${event ? `: ${event}` : ''}`,
        'DEPLOYMENT_FAILED',
      );
    }
    if (Date.now() >= deadline)
      throw ApplicationFailure.nonRetryable(
        `deployment ${id} not serving after ${timeoutMs / 60_000} min`,
        'DEPLOY_TIMEOUT',
      );
    const wait = Math.min(pollMs, Math.max(1000, deadline - Date.now()));
    await sleep(wait, {
      summary: `${id} is ${current.rawStatus}: ask again in ${Math.round(wait / 1000)} s`,
    });
  }
}

/**
 * Registry target: the registry deploys the job's registered model, so that model is the candidate —
 * the gate judges its metric as the registry reports it, and the result names it. The job's final
 * checkpoint (what the registered model is made from) is kept out of cleanup as the deployed one.
 */
async function registeredCandidate(spec: PipelineSpec, jobId: string): Promise<CandidateSummary> {
  const listed = (await provider.listRegisteredModels({ trainingJobId: jobId, limit: 100 })).models;
  const ours = listed.find((m) => m.trainingJobId === jobId);
  if (!ours) {
    const others = listed.map((m) => `${m.id} (job ${m.trainingJobId ?? 'unknown'})`).join(', ');
    throw ApplicationFailure.nonRetryable(
      `job ${jobId} has no registered model to deploy${others ? `; the registry answered only ${others}` : ''}`,
      'MODEL_NOT_FOUND',
    );
  }
  const model = await provider.getRegisteredModel(ours.id);
  const value = model.metrics[spec.selection.metric];
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw ApplicationFailure.nonRetryable(
      `registered model ${model.id} of job ${jobId} reports no metric "${spec.selection.metric}" to gate on`,
      'NO_CANDIDATE',
    );
  }
  // The final checkpoint is the job's newest: the first page of the newest-first list holds it.
  const newest = await paging.listCheckpoints({
    jobId,
    includeMetrics: false,
    sortBy: 'createdAt',
    sortOrder: 'desc',
    limit: 100,
  });
  const final = newest.checkpoints.find((c) => c.type === 'final');
  return {
    checkpointId: final?.id ?? model.id,
    epoch: final?.epoch,
    type: final ? 'final' : 'registered-model',
    metric: spec.selection.metric,
    value,
    metrics: model.metrics,
    registeredModelId: model.id,
  };
}

/** The run's name basis: a rerun under the same workflow id names (and so creates) its resources anew. */
function runNameBasis(): string {
  const info = workflowInfo();
  return `${info.workflowId}--r${info.runId.replace(/-/g, '').slice(0, 12)}`;
}

function throwIfCancelled(): void {
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('pipeline cancelled');
}

function add(status: PipelineStatus, list: keyof PipelineLeftovers, value: string): void {
  const items = (status[list] ??= []);
  if (!items.includes(value)) items.push(value);
}

function leftovers(status: PipelineStatus): PipelineLeftovers {
  const out: PipelineLeftovers = {};
  for (const key of ['stoppedJobs', 'removedDeployments', 'duplicateJobs', 'possibleDuplicates'] as const)
    if (status[key]?.length) out[key] = [...status[key]];
  return out;
}

/** Stops every other job carrying this run's job name (made by a create acted on after its answer was lost). */
async function stopDuplicates(status: PipelineStatus, safety: RunSafety): Promise<void> {
  if (!safety.job) return;
  const { duplicates } = await paging.stopDuplicateTrainingJobs({
    name: safety.job.name,
    keepJobId: safety.job.id,
  });
  for (const id of duplicates) add(status, 'duplicateJobs', id);
}

/** A pipeline that did not end deployed: its job stops with a saved checkpoint; duplicates are stopped. */
async function undoAfterEnd(spec: PipelineSpec, status: PipelineStatus, safety: RunSafety): Promise<void> {
  if (!safety.job || spec.train.kind !== 'tensorone') return;
  const { stopped, status: jobStatus } = await provider.stopTrainingJobIfRunning({
    jobId: safety.job.id,
    reason: 'pipeline ended without deploying',
  });
  // Stopped now, or already by the supervision when the cancel reached it first.
  if (stopped || jobStatus === 'stopped') add(status, 'stoppedJobs', safety.job.id);
  if (safety.job.inDoubt) await stopDuplicates(status, safety);
}

/**
 * Readiness without a status route: the create answer's status and events first (TensorMesh documents
 * them), then one inference through the deployment's own URL, retried by the server while it answers
 * "not serving yet", until the deploy timeout.
 */
async function answeredThroughInference(
  d: PipelineSpec['deploy'],
  created: Deployment,
  deadline: number,
  pollMs: number,
  status: PipelineStatus,
): Promise<DeploymentSummary> {
  if (created.status === 'failed' || created.status === 'deleted') {
    const event = created.events.at(-1)?.log;
    throw ApplicationFailure.nonRetryable(
      `deployment ${created.id} is ${created.rawStatus}${event ? `: ${event}` : ''}`,
      'DEPLOYMENT_FAILED',
    );
  }
  const probe = untilServing(Math.max(1000, deadline - Date.now()), pollMs);
  try {
    if (d.target === 'tensormesh') {
      await probe.smokeTestServedModel({
        modelId: created.id,
        prompt: d.smokePrompt,
        endpoint: created.url,
        modelName: created.name,
        untilServing: true,
      });
    } else {
      const res = await probe.smokeTestEndpoint({
        endpointId: created.id,
        sampleInput: d.smokeTest.input,
        untilServing: true,
      });
      if (res.status && !/^(COMPLETED|SUCCESS|OK)$/i.test(res.status)) {
        throw ApplicationFailure.nonRetryable(
          `smoke test of ${created.id} returned status ${res.status}`,
          'SMOKE_TEST_FAILED',
        );
      }
    }
  } catch (err) {
    // The deploy timeout passed while it still answered "not serving yet" (the last answer is the cause).
    const timedOut =
      err instanceof ActivityFailure && (err.cause instanceof TimeoutFailure || err.retryState === 'TIMEOUT');
    if (timedOut) {
      throw ApplicationFailure.nonRetryable(
        `deployment ${created.id} not serving after ${d.timeout}: ${describeFailure(err)}`,
        'DEPLOY_TIMEOUT',
      );
    }
    throw err;
  }
  status.deployment = { ...status.deployment!, status: 'active' };
  return status.deployment;
}

function summarize(
  target: DeploymentSummary['target'],
  d: Deployment & { possibleDuplicate?: DeploymentSummary['possibleDuplicate'] },
): DeploymentSummary {
  return {
    target,
    id: d.id,
    url: d.url,
    status: d.status,
    modelId: d.modelId,
    ...(d.possibleDuplicate ? { possibleDuplicate: d.possibleDuplicate } : {}),
  };
}

/**
 * The input schema is loaded when a pipeline starts, not with the workflow module: each workflow gets
 * its own copy of the modules it loads, and zod's cost about 1.4 MiB per cached workflow. Pipelines are
 * few; the supervisions and cleanups that run by the thousand never load it (bench/scale.ts).
 */
function loadInputSchema(): typeof PipelineInputModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved by the bundler, not Node
  return require('../domain/pipeline-input') as typeof PipelineInputModule;
}

function validate(raw: unknown): PipelineSpec {
  const { parsePipelineInput, InvalidPipelineInput } = loadInputSchema();
  // Duration and size bounds came later: a pipeline started before them replays as it was accepted.
  const bounded = patched('pipeline-input-bounds');
  try {
    return parsePipelineInput(raw, undefined, { unbounded: !bounded });
  } catch (err) {
    if (err instanceof InvalidPipelineInput)
      throw ApplicationFailure.nonRetryable(err.message, 'INVALID_INPUT', err.issues);
    throw err;
  }
}

const iso = () => new Date(Date.now()).toISOString();
