import { ApplicationFailure, CancellationScope, isCancellation } from '@temporalio/workflow';
import { smokeTestPassed } from '../../decisions/deploy';
import { parseDuration } from '../../domain/duration';
import { absenceReason, isAbsent, type CapabilityAbsent } from '../../domain/capability';
import type { DeleteOutcome } from '../../activities/failures';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import { provider, smoke } from '../activity-stubs';
import type { CandidateSummary, DeploymentSummary, PipelinePhase, PipelineStatus } from './contract';
import { describeFailure } from '../failure-cause';
import { summarized } from '../summaries';
import { probeBesideChampion } from './probe';
import { throwIfCancelled, type RunSafety } from './safety';
import { add, summarize } from './status';
import { waitUntilServing } from './until-serving';

/**
 * Deploys the candidate to the declared target, waits until it serves and smoke-tests it; a deployment
 * that fails any of that (or is cancelled meanwhile) is removed again, or named for removal by hand.
 */
export async function deployAndVerify(
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
      await smoke.smokeTestServedModel({
        modelId: created.id,
        prompt: d.smokePrompt,
        ...(d.smokeRequest ? { request: d.smokeRequest } : {}),
      });
    } else {
      const res = await summarized(smoke.smokeTestEndpoint, `smoke-test endpoint ${created.id}`, {
        endpointId: created.id,
        sampleInput: d.smokeTest.input,
      });
      if (!smokeTestPassed(res.status)) {
        throw ApplicationFailure.nonRetryable(
          `smoke test of ${created.id} returned status ${res.status}`,
          'SMOKE_TEST_FAILED',
        );
      }
    }
    if ('probe' in d && d.probe) {
      phase('probing');
      await probeBesideChampion(spec, d.probe, created.id, status);
    }
    return serving.summary;
  } catch (err) {
    if (!created) throw err;
    const id = created.id;
    // Remove the deployment that did not make it (also when cancelled); checkpoints stay untouched.
    const removal = await removeDeployment(d.target, id);
    if (isAbsent(removal)) {
      // Never silently left running: the failure, `status` and the notification name it.
      const removeByHand = `${d.target} ${id} is still deployed and must be removed by hand: ${absenceReason(removal)}`;
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

/** Deletes a deployment this run made, even while the run is being cancelled; absent where the provider has no route. */
export function removeDeployment(
  target: DeploymentSummary['target'],
  id: string,
): Promise<DeleteOutcome | CapabilityAbsent> {
  return CancellationScope.nonCancellable(() =>
    target === 'tensormesh' ? provider.deleteServedModel(id) : provider.deleteEndpoint(id),
  );
}
