import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { FormerSmokeEvidence, SlotSmokeRequest } from '../../decisions/serving-slot';
import type { CapabilityAbsent } from '../../domain/capability';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import type { DeleteOutcome } from '../../activities/failures';
import type { Activities } from '../../activities';
import type { CandidateSummary, DeploymentSummary } from './contract';

export type DeploySpec = PipelineSpec['deploy'];
export type DeployTarget = DeploySpec['target'];
export type SpecOf<T extends DeployTarget> = Extract<DeploySpec, { target: T }>;

/** What a create answers: the deployment, and whether it was adopted or may have a duplicate. */
export type Created = Deployment & { inDoubt?: boolean; adopted?: boolean; name?: string };

/** What a deploy of the candidate needs to know. */
export interface DeployRequest<T extends DeployTarget> {
  spec: PipelineSpec;
  deploy: SpecOf<T>;
  jobId: string;
  candidate: CandidateSummary;
  nameBasis?: string;
}

/**
 * One deploy target's steps (src/providers/plugin.ts's `ServingTarget` names its activities): what the
 * pipeline does to deploy to it, and what the serving slot does with a deployment of it that it holds.
 * `create` hands its one creating call to `made`, which runs it to its end even when the pipeline is
 * cancelled.
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
  /** Deletes it (with the activity's summary when given); absent where the provider has no delete route. */
  remove(id: string, summary?: string): Promise<DeleteOutcome | CapabilityAbsent>;
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
  /** A serving slot's status read of a deployment it holds, through the slot's own activity options. */
  readHeld(checks: ActivityInterfaceFor<Activities>, id: string): Promise<Deployment | CapabilityAbsent>;
  /** A serving slot asks a deployment it holds the smoke request recorded when it was promoted. */
  askHeld(
    checks: ActivityInterfaceFor<Activities>,
    id: string,
    recorded: SlotSmokeRequest,
  ): Promise<FormerSmokeEvidence>;
}
