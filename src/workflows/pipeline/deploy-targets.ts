import { ApplicationFailure, type ActivityInterfaceFor } from '@temporalio/workflow';
import { smokeTestPassed } from '../../decisions/deploy';
import { checkpointInModelPath } from '../../decisions/protection';
import type { SlotSmokeRequest } from '../../decisions/serving-slot';
import type { CapabilityAbsent } from '../../domain/capability';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import type { DeleteOutcome } from '../../activities/failures';
import type { Activities } from '../../activities';
import { provider, smoke } from '../activity-stubs';
import type { CandidateSummary, DeploymentSummary } from './contract';
import { summarized } from '../summaries';

type DeploySpec = PipelineSpec['deploy'];
export type DeployTarget = DeploySpec['target'];
type SpecOf<T extends DeployTarget> = Extract<DeploySpec, { target: T }>;

/** What a create answers: the deployment, and whether it was adopted or may have a duplicate. */
type Created = Deployment & { inDoubt?: boolean; adopted?: boolean; name?: string };

/** What a deploy of the candidate needs to know. */
export interface DeployRequest<T extends DeployTarget> {
  spec: PipelineSpec;
  deploy: SpecOf<T>;
  jobId: string;
  candidate: CandidateSummary;
  nameBasis?: string;
}

/**
 * One deploy target's steps (src/providers/plugin.ts's `ServingTarget` names its activities). `create`
 * hands its one creating call to `made`, which runs it to its end even when the pipeline is cancelled.
 */
export interface DeployTargetSteps<T extends DeployTarget> {
  create(
    request: DeployRequest<T>,
    made: (call: () => Promise<Created>) => Promise<Deployment>,
  ): Promise<Deployment>;
  /** One status read; absent where the provider has no status route. */
  read(id: string): Promise<Deployment | CapabilityAbsent>;
  /** Without a status route, the documented read through the registry model's deployments. */
  readsThroughModel: boolean;
  /** The smoke test once the deployment serves. */
  smokeTest(deploy: SpecOf<T>, created: Deployment): Promise<void>;
  /** The smoke test through its own inference URL, retried by `probe` while it is not serving yet. */
  smokeTestUntilServing(
    probe: ActivityInterfaceFor<Activities>,
    deploy: SpecOf<T>,
    created: Deployment,
  ): Promise<void>;
  /** Deletes it; absent where the provider has no delete route. */
  remove(id: string): Promise<DeleteOutcome | CapabilityAbsent>;
  /** Deploys a registered model: the candidate is the registry's, and a promotion is recorded on it. */
  fromRegistry: boolean;
  /** A serverless endpoint the probe's runsync inputs can be sent to (beside a champion of the same kind). */
  probeable: boolean;
  /** The status keeps the deployment's name: without a read route, its name and URL are how to ask it. */
  keepsName: boolean;
  /** The request it was smoke-tested with, kept in the serving slot for a rollback's check. */
  smokeRequest(deploy: SpecOf<T>, deployment: DeploymentSummary): SlotSmokeRequest;
  /** The checkpoint it serves. */
  servedCheckpoint(deploy: SpecOf<T>, candidate: CandidateSummary): string | undefined;
}

/** A runsync answer passes with no status or a completed one. */
function endpointAnswered(id: string, status: string | undefined): void {
  if (!smokeTestPassed(status)) {
    throw ApplicationFailure.nonRetryable(
      `smoke test of ${id} returned status ${status}`,
      'SMOKE_TEST_FAILED',
    );
  }
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
  remove: (id: string) => provider.deleteEndpoint(id),
  probeable: true,
  keepsName: false,
  smokeRequest: (deploy: SpecOf<'tensorone-endpoint' | 'tensorone-registry'>): SlotSmokeRequest => ({
    input: deploy.smokeTest.input,
  }),
  servedCheckpoint: (_deploy: DeploySpec, candidate: CandidateSummary) => candidate.checkpointId,
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
      await smoke.smokeTestServedModel({
        modelId: created.id,
        prompt: deploy.smokePrompt,
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
    remove: (id) => provider.deleteServedModel(id),
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
