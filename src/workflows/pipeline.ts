import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  patched,
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
import { notifier, provider, smoke } from './activity-stubs';
import { listAllCheckpoints } from './checkpoint-pages';
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
  type PipelinePhase,
  type PipelineResult,
  type PipelineStatus,
  type SupervisionResult,
} from './definitions';
import { updateSearchAttributes } from './search-attribute-updates';
import type { PipelineNotification } from '../activities/notify';
import { superviseTrainingJob } from './supervise';

const MAX_DEPLOY_POLL_MS = 15_000;

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
  setHandler(supervisionProgressSignal, (p) => void ((status.training = p), (status.updatedAt = iso())));
  setHandler(approveSignal, (d) => void (decision ??= { approved: true, ...d }));
  setHandler(rejectSignal, (d) => void (decision ??= { approved: false, ...d }));
  setHandler(
    pinSignal,
    (checkpointId) => void (status.pinned.includes(checkpointId) || status.pinned.push(checkpointId)),
  );
  setHandler(cancelSignal, (req) => {
    cancelRequest = req ?? {};
    pipelineScope.cancel();
  });

  // Notifications go out in order without holding the pipeline up; a failed delivery is dropped.
  const notifications = patched('webhook-notifications');
  let delivered: Promise<unknown> = Promise.resolve();
  const notify = (kind: PipelineNotification['kind'], text: string) => {
    if (!notifications) return;
    const workflowId = workflowInfo().workflowId;
    const p = status.phase;
    delivered = delivered.then(() =>
      notifier.notifyWebhook({ workflowId, kind, phase: p, text }).catch(() => undefined),
    );
  };
  const phase = (p: PipelinePhase) => {
    status.phase = p;
    status.updatedAt = iso();
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

  try {
    const result = await pipelineScope.run(() => run(spec, status, phase, () => decision));
    notify(
      'result',
      `serving: ${result.deployment?.target} ${result.deployment?.id} (${result.checkpoint?.checkpointId}); deleted ${result.deletedCheckpoints.length} old checkpoints`,
    );
    await delivered;
    return result;
  } catch (err) {
    if (cancelRequest !== undefined && isCancellation(err)) {
      phase('cancelled');
      await delivered;
      return {
        outcome: 'cancelled',
        provider: providerName,
        jobId: status.jobId,
        deletedCheckpoints: [],
        bytesReclaimed: 0,
        cost: status.training?.cost,
        resumes: status.training?.resumes ?? 0,
        budgetStopped: false,
      };
    }
    if (!isCancellation(err)) {
      status.failure = describe(err);
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
): Promise<PipelineResult> {
  const wfId = workflowInfo().workflowId;

  // ---- train ----
  phase('training');
  const jobId = await startOrAdoptTraining(spec, status);
  status.jobId = jobId;
  updateSearchAttributes({ jobId });

  // ---- wait: the supervising child ----
  const supervision: SupervisionResult = await executeChild(superviseTrainingJob, {
    workflowId: `${wfId}/supervise`,
    args: [
      {
        provider: status.provider,
        jobId,
        ...spec.supervision,
        maxCost: spec.budget?.maxCost,
      },
    ],
  });

  // ---- compare ----
  phase('comparing');
  const candidate = await chooseCheckpoint(spec, jobId, status.provider);
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
    const decided = await condition(() => decision() !== undefined, timeoutMs);
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
  const deployment = await deployAndVerify(spec, jobId, candidate, status, phase);

  // ---- clean up ----
  let cleanup: CleanupResult | undefined;
  if (spec.cleanup.enabled && status.provider === 'tensorone') {
    phase('cleaning-up');
    cleanup = await executeChild(checkpointCleanup, {
      workflowId: `${wfId}/cleanup`,
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
async function startOrAdoptTraining(spec: PipelineSpec, status: PipelineStatus): Promise<string> {
  const train = spec.train;
  if (train.kind === 'tensorone-existing') return (await provider.getTrainingJob(train.jobId)).id;
  if (train.kind === 'marqtune') return (await provider.getMarqtuneModel(train.modelId)).id;
  const tried: string[] = [];
  let available: string[] | undefined;
  for (;;) {
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
      const job = await provider.startTrainingJob({
        step: `train-${gpuType}`,
        modelType: train.modelType,
        datasetId: train.datasetId,
        config: train.config,
        gpuType,
        maxWorkers: train.maxWorkers,
        priority: train.priority,
        description: train.description,
        tags: [...train.tags, `pipeline:${spec.name}`],
      });
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

/** The candidate by the declared policy, cross-checked against the provider's own best checkpoint. */
async function chooseCheckpoint(
  spec: PipelineSpec,
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
): Promise<CandidateSummary> {
  if (providerName === 'marqtune') {
    // Marqtune lists per-epoch checkpoints without metrics: the last completed epoch is the candidate.
    const model = await provider.getMarqtuneModel(jobId);
    const last = model.checkpointIds[model.checkpointIds.length - 1];
    if (!last)
      throw ApplicationFailure.nonRetryable(`Marqtune model ${jobId} has no checkpoint`, 'NO_CANDIDATE');
    return {
      checkpointId: last,
      epoch: model.checkpointIds.length,
      type: 'automatic',
      metric: spec.selection.metric,
      value: Number.NaN,
      metrics: {},
    };
  }
  const { checkpoints, bestCheckpointId } = await listAllCheckpoints(jobId, true);
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
  };
}

/** The serving model's value of the policy metric: through the registry's compare call. */
async function servingMetric(spec: PipelineSpec, jobId: string, servingModelId: string): Promise<number> {
  const trained = (await provider.listRegisteredModels({ trainingJobId: jobId, limit: 1 })).models[0];
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
): Promise<DeploymentSummary> {
  const d = spec.deploy;
  let created: Deployment | undefined;
  try {
    if (d.target === 'tensorone-endpoint') {
      created = await provider.deployCheckpointEndpoint({
        step: 'deploy',
        checkpointId: candidate.checkpointId,
        gpuIds: d.gpuIds,
        workerCount: d.workerCount,
      });
    } else if (d.target === 'tensorone-registry') {
      const model = (await provider.listRegisteredModels({ trainingJobId: jobId, limit: 1 })).models[0];
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
      created = await provider.deployRegisteredModel({
        modelId,
        step: 'deploy',
        environment: d.environment,
        gpuType: d.gpuType,
        workers: d.workers,
      });
    } else {
      created = await provider.provisionServedModel({
        step: 'deploy',
        userId: d.userId,
        modelPath: d.modelPath ?? `tensorone://checkpoints/${candidate.checkpointId}`,
        gpuType: d.gpuType,
        gpuCount: d.gpuCount,
        infra: d.infra,
        kvCacheEnabled: d.kvCacheEnabled,
        cpuOffloadingEnabled: d.cpuOffloadingEnabled,
        description: `${spec.name}: checkpoint ${candidate.checkpointId}`,
      });
    }
    status.deployment = summarize(d.target, created);
    const serving = await waitUntilServing(
      d.target,
      created.id,
      parseDuration(d.timeout)!,
      parseDuration(spec.supervision.minInterval)!,
      status,
    );
    phase('smoke-testing');
    if (d.target === 'tensormesh') {
      await smoke.smokeTestServedModel({ modelId: created.id, prompt: d.smokePrompt });
    } else {
      const res = await smoke.smokeTestEndpoint({
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
    return serving;
  } catch (err) {
    if (!created) throw err;
    const id = created.id;
    // Remove the deployment that did not make it (also when cancelled); checkpoints stay untouched.
    await CancellationScope.nonCancellable(() =>
      d.target === 'tensormesh' ? provider.deleteServedModel(id) : provider.deleteEndpoint(id),
    );
    if (isCancellation(err)) throw err;
    status.deployment = { ...summarize(d.target, created), status: 'removed' };
    throw ApplicationFailure.nonRetryable(
      `deployment ${id} failed and was removed: ${describe(err)}`,
      'DEPLOY_FAILED',
      {
        cause: describe(err),
      },
    );
  }
}

/** Durable-timer polling of the deployment until it is active, fails, or the deploy timeout passes. */
async function waitUntilServing(
  target: DeploymentSummary['target'],
  id: string,
  timeoutMs: number,
  minIntervalMs: number,
  status: PipelineStatus,
): Promise<DeploymentSummary> {
  const deadline = Date.now() + timeoutMs;
  // About sixty looks over the deploy timeout, never closer than the supervision's minimum interval.
  const pollMs = Math.min(MAX_DEPLOY_POLL_MS, Math.max(minIntervalMs, timeoutMs / 60));
  for (;;) {
    const current =
      target === 'tensormesh' ? await provider.getServedModel(id) : await provider.getEndpoint(id);
    status.deployment = summarize(target, current);
    if (current.status === 'active') return status.deployment;
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
    await sleep(Math.min(pollMs, Math.max(1000, deadline - Date.now())));
  }
}

function summarize(target: DeploymentSummary['target'], d: Deployment): DeploymentSummary {
  return { target, id: d.id, url: d.url, status: d.status, modelId: d.modelId };
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

function applicationCause(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (
    (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) &&
    err.cause instanceof ApplicationFailure
  )
    return err.cause;
  return undefined;
}

function describe(err: unknown): string {
  const app = applicationCause(err);
  if (app) return `${app.type ?? 'Error'}: ${app.message}`;
  if (err instanceof ChildWorkflowFailure && err.cause) return describe(err.cause);
  return err instanceof Error ? err.message : String(err);
}

const iso = () => new Date(Date.now()).toISOString();
