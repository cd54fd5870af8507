import {
  ApplicationFailure,
  type ActivityFunctionWithOptions,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import { smokeTestPassed } from '../../decisions/deploy';
import { checkpointInModelPath } from '../../decisions/protection';
import type { FormerSmokeEvidence, SlotSmokeRequest } from '../../decisions/serving-slot';
import type { CapabilityAbsent } from '../../domain/capability';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import type { DeleteOutcome } from '../../activities/failures';
import type { Activities } from '../../activities';
import { provider, smoke } from '../activity-stubs';
import type { CandidateSummary, DeploymentSummary } from './contract';
import type { DeploySpec, DeployTarget, DeployTargetSteps, SpecOf } from './deploy-target-steps';
import { summarized } from '../summaries';

/** A runsync answer passes with no status or a completed one. */
function endpointAnswered(id: string, status: string | undefined): void {
  if (!smokeTestPassed(status)) {
    throw ApplicationFailure.nonRetryable(
      `smoke test of ${id} returned status ${status}`,
      'SMOKE_TEST_FAILED',
    );
  }
}

/** A delete, with the activity's summary when the caller gives one. */
function deleteCall(
  activity: ActivityFunctionWithOptions<(id: string) => Promise<DeleteOutcome | CapabilityAbsent>>,
  id: string,
  summary: string | undefined,
): Promise<DeleteOutcome | CapabilityAbsent> {
  return summary === undefined ? activity(id) : summarized(activity, summary, id);
}

/** The steps both TensorOne targets share: the deployment is a serverless endpoint. */
const endpoint = {
  read: (id: string) => summarized(provider.getEndpoint, `is endpoint ${id} serving?`, id),
  async smokeTest(deploy: SpecOf<'tensorone-endpoint' | 'tensorone-registry'>, created: Deployment) {
    const res = await summarized(smoke.smokeTestEndpoint, `smoke-test endpoint ${created.id}`, {
      endpointId: created.id,
      sampleInput: deploy.smokeTest.input,
    });
    endpointAnswered(created.id, res.status);
  },
  async smokeTestUntilServing(
    probe: ActivityInterfaceFor<Activities>,
    deploy: SpecOf<'tensorone-endpoint' | 'tensorone-registry'>,
    created: Deployment,
  ) {
    const res = await probe.smokeTestEndpoint({
      endpointId: created.id,
      sampleInput: deploy.smokeTest.input,
      untilServing: true,
    });
    endpointAnswered(created.id, res.status);
  },
  remove: (id: string, summary?: string) => deleteCall(provider.deleteEndpoint, id, summary),
  probeable: true,
  keepsName: false,
  smokeRequest: (deploy: SpecOf<'tensorone-endpoint' | 'tensorone-registry'>): SlotSmokeRequest => ({
    input: deploy.smokeTest.input,
  }),
  servedCheckpoint: (_deploy: DeploySpec, candidate: CandidateSummary) => candidate.checkpointId,
  readHeld: (checks: ActivityInterfaceFor<Activities>, id: string) =>
    summarized(checks.getEndpoint, `is ${id} still deployed?`, id),
  async askHeld(
    checks: ActivityInterfaceFor<Activities>,
    id: string,
    recorded: SlotSmokeRequest,
  ): Promise<FormerSmokeEvidence> {
    const res = await summarized(checks.smokeTestEndpoint, `does ${id} answer?`, {
      endpointId: id,
      sampleInput: recorded.input ?? {},
    });
    return smokeTestPassed(res.status)
      ? { smoke: 'answered' }
      : { smoke: 'failed', why: `runsync answered status ${res.status}` };
  },
};

/** The model path a TensorMesh deploy serves: the pipeline file's, else the candidate's checkpoint. */
function modelPathOf(deploy: SpecOf<'tensormesh'>, candidate: CandidateSummary): string {
  return deploy.modelPath ?? `tensorone://checkpoints/${candidate.checkpointId}`;
}

/** Every deploy target a pipeline file can name, and how a pipeline deploys to it. */
export const DEPLOY_TARGETS: { [T in DeployTarget]: DeployTargetSteps<T> } = {
  'tensorone-endpoint': {
    ...endpoint,
    readsThroughModel: false,
    fromRegistry: false,
    create: ({ deploy, candidate, nameBasis }, made) =>
      made(() =>
        summarized(
          provider.deployCheckpointEndpoint,
          `deploy checkpoint ${candidate.checkpointId} as an endpoint`,
          {
            step: 'deploy',
            nameBasis,
            checkpointId: candidate.checkpointId,
            gpuIds: deploy.gpuIds,
            workerCount: deploy.workerCount,
          },
        ),
      ),
  },
  'tensorone-registry': {
    ...endpoint,
    readsThroughModel: true,
    fromRegistry: true,
    async create({ deploy, jobId, candidate, nameBasis }, made) {
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
      if (deploy.versionOf) {
        await provider.createModelVersion({
          modelId: deploy.versionOf.modelId,
          version: deploy.versionOf.version,
          trainingJobId: jobId,
          description: `checkpoint ${candidate.checkpointId}`,
        });
        modelId = deploy.versionOf.modelId;
      }
      return made(() =>
        provider.deployRegisteredModel({
          modelId,
          step: 'deploy',
          nameBasis,
          environment: deploy.environment,
          gpuType: deploy.gpuType,
          workers: deploy.workers,
        }),
      );
    },
  },
  tensormesh: {
    create: ({ spec, deploy, candidate, nameBasis }, made) =>
      made(() =>
        provider.provisionServedModel({
          step: 'deploy',
          nameBasis,
          userId: deploy.userId,
          modelPath: modelPathOf(deploy, candidate),
          gpuType: deploy.gpuType,
          gpuCount: deploy.gpuCount,
          infra: deploy.infra,
          kvCacheEnabled: deploy.kvCacheEnabled,
          cpuOffloadingEnabled: deploy.cpuOffloadingEnabled,
          description: `${spec.name}: checkpoint ${candidate.checkpointId}`,
        }),
      ),
    read: (id) => provider.getServedModel(id),
    readsThroughModel: false,
    async smokeTest(deploy, created) {
      // With the create answer's address: where no read route tells it (documented profile), a served
      // model whose create already said it runs is smoke-tested without a read before (see until-serving).
      await smoke.smokeTestServedModel({
        modelId: created.id,
        prompt: deploy.smokePrompt,
        endpoint: created.url,
        modelName: created.name,
        ...(deploy.smokeRequest ? { request: deploy.smokeRequest } : {}),
      });
    },
    async smokeTestUntilServing(probe, deploy, created) {
      await probe.smokeTestServedModel({
        modelId: created.id,
        prompt: deploy.smokePrompt,
        endpoint: created.url,
        modelName: created.name,
        ...(deploy.smokeRequest ? { request: deploy.smokeRequest } : {}),
        untilServing: true,
      });
    },
    remove: (id, summary) => deleteCall(provider.deleteServedModel, id, summary),
    fromRegistry: false,
    probeable: false,
    keepsName: true,
    smokeRequest: (deploy, deployment) => ({
      prompt: deploy.smokePrompt,
      ...(deployment.url ? { endpoint: deployment.url } : {}),
      ...(deployment.name ? { modelName: deployment.name } : {}),
      ...(deploy.smokeRequest ? { request: deploy.smokeRequest } : {}),
    }),
    servedCheckpoint: (deploy, candidate) => checkpointInModelPath(modelPathOf(deploy, candidate)),
    readHeld: (checks, id) => summarized(checks.getServedModel, `is ${id} still served?`, id),
    async askHeld(checks, id, recorded) {
      await summarized(checks.smokeTestServedModel, `does ${id} answer?`, {
        modelId: id,
        prompt: recorded.prompt ?? 'Hello',
        endpoint: recorded.endpoint,
        modelName: recorded.modelName,
        ...(recorded.request ? { request: recorded.request } : {}),
      });
      return { smoke: 'answered' };
    },
  },
};

/** The steps of the pipeline file's deploy target, with its `deploy` section. */
export function deployTargetOf(spec: PipelineSpec): {
  steps: DeployTargetSteps<DeployTarget>;
  deploy: DeploySpec;
} {
  // One lookup by the section's own `target`: the steps and the section always belong together.
  return {
    steps: DEPLOY_TARGETS[spec.deploy.target] as DeployTargetSteps<DeployTarget>,
    deploy: spec.deploy,
  };
}

/** The steps of a deployment's target, by the target's name (what a status or slot records). */
export function stepsOf(target: DeploymentSummary['target']): DeployTargetSteps<DeployTarget> {
  return DEPLOY_TARGETS[target] as DeployTargetSteps<DeployTarget>;
}
