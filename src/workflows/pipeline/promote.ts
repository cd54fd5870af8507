import { ApplicationFailure, CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import { parseDuration } from '../../domain/duration';
import { championBaseline as baselineOf, type GateBaseline } from '../../decisions/gate';
import type { PromoteAnswer, SlotDeployment, SlotSmokeRequest } from '../../decisions/serving-slot';
import { absenceReason, isAbsent } from '../../domain/capability';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { ProtectionRequest } from '../../decisions/protection';
import type { RecordedPromotion } from '../../activities/recorded-promotion';
import type { DeploymentServes } from '../cleanup/contract';
import { PROTECTION_NOT_RECORDED } from '../protection/contract';
import { protectionRecords, provider } from '../activity-stubs';
import type { CandidateSummary, DeploymentSummary, PipelineStatus } from './contract';
import { applicationCause, describeFailure } from '../failure-cause';
import { summarized } from '../summaries';
import { removeDeployment } from './deploy';
import { deployTargetOf, stepsOf } from './deploy-targets';
import { recordsSmokeRequest } from './patches';
import {
  championSeen,
  deployed,
  deploymentLeftRunning,
  deploymentRemoved,
  promoted,
} from '../../decisions/pipeline-status';
import { moveTo } from './status';

/** The slot's champion to compare against, when it was chosen on the same metric (a tie passes). */
export async function championBaseline(
  spec: PipelineSpec,
  status: PipelineStatus,
): Promise<GateBaseline | undefined> {
  const champion = await summarized(
    protectionRecords.servingChampion,
    `what serves ${spec.name} now (the champion to compare against)?`,
    spec.name,
  );
  return championBaselineOf(spec, status, champion);
}

/** The baseline a champion read gives (shown in the status), however it was read. */
export function championBaselineOf(
  spec: PipelineSpec,
  status: PipelineStatus,
  champion: SlotDeployment | undefined,
): GateBaseline | undefined {
  if (champion) moveTo(status, championSeen(status, champion));
  return baselineOf(champion, spec.selection.metric);
}

/**
 * Makes the verified deployment the one serving the pipeline's name. Not cancellable: a deployment
 * that serves is either in the slot or removed, never left running beside it unowned. A promotion the
 * slot refuses removes the deployment; one whose outcome is unknown leaves it and says where to look.
 * With `records`, the same activity records them first (a record that cannot be made fails the
 * pipeline as a separate record would, before any promotion was asked), and with `tellCleanup` tells
 * the pipeline's cleanup child, once promoted, that the deployment serves.
 */
export async function promoteToSlot(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  servedCheckpointId: string | undefined,
  deployment: DeploymentSummary,
  status: PipelineStatus,
  records?: ProtectionRequest[],
  /** The cleanup child to tell the deployment serves, by the promotion's own activity (with `records`). */
  tellCleanup?: { workflowId: string; runId: string } & DeploymentServes,
): Promise<RecordedPromotion> {
  const { workflowId, runId } = workflowInfo();
  const entry: Omit<SlotDeployment, 'since'> = {
    target: deployment.target,
    deploymentId: deployment.id,
    ...(deployment.modelId ? { modelId: deployment.modelId } : {}),
    checkpointId: servedCheckpointId ?? candidate.checkpointId,
    jobId,
    workflowId,
    runId,
    ...(Number.isFinite(candidate.value)
      ? { metric: { name: candidate.metric, value: candidate.value } }
      : {}),
    ...(recordsSmokeRequest() ? { smoke: smokeRequestOf(spec, deployment) } : {}),
  };
  const promotion = {
    name: spec.name,
    request: { deployment: entry, retireAfterMs: parseDuration(spec.deploy.retireAfter)! },
  };
  const promote = `promote ${deployment.target} ${deployment.id} to serve ${spec.name}`;
  try {
    const answer = await CancellationScope.nonCancellable(() =>
      records
        ? summarized(
            protectionRecords.recordAndPromoteInSlot,
            `keep ${records.map((r) => `${r.kind} checkpoint ${r.checkpointId}`).join(', ')} out of every cleanup, then ${promote}`,
            { records, ...promotion, ...(tellCleanup ? { tellCleanup } : {}) },
          )
        : summarized(protectionRecords.promoteInSlot, promote, promotion),
    );
    moveTo(
      status,
      promoted(status, {
        name: spec.name,
        champion: answer.champion.deploymentId,
        ...(answer.previous
          ? { previous: answer.previous.deploymentId, retireAt: answer.previous.retireAt }
          : {}),
      }),
    );
    return answer;
  } catch (err) {
    // Not recorded: nothing was promoted; the pipeline fails as when its record failed on its own.
    if (applicationCause(err)?.type === PROTECTION_NOT_RECORDED) throw err;
    if (isCancellation(err) || applicationCause(err)?.type !== 'PROMOTION_REFUSED') {
      const note = `promotion of ${deployment.target} ${deployment.id} to slot ${spec.name} did not answer: check \`starter slots ${spec.name}\`; if it is not there, remove it by hand`;
      moveTo(status, deployed(status, { ...deployment, removeByHand: note }));
      throw ApplicationFailure.nonRetryable(`${note} (${describeFailure(err)})`, 'PROMOTION_IN_DOUBT');
    }
    const removal = await removeDeployment(deployment.target, deployment.id);
    const removeByHand = isAbsent(removal)
      ? `${deployment.target} ${deployment.id} must be removed by hand: ${absenceReason(removal)}`
      : undefined;
    moveTo(
      status,
      removeByHand
        ? deploymentLeftRunning(status, deployment, removeByHand)
        : deploymentRemoved(status, deployment, false),
    );
    throw ApplicationFailure.nonRetryable(
      `${describeFailure(err)}; ${removeByHand ?? `${deployment.id} was removed`}`,
      'PROMOTION_REFUSED',
    );
  }
}

/**
 * The registry model now serving gets its provenance through the documented `PATCH` (metadata values
 * are strings there). A failure is reported, not fatal: the model already serves.
 */
export async function recordPromotionInRegistry(
  spec: PipelineSpec,
  candidate: CandidateSummary,
  deployment: DeploymentSummary,
): Promise<string | undefined> {
  if (!stepsOf(deployment.target).fromRegistry || !deployment.modelId) return undefined;
  try {
    await summarized(
      provider.updateModelMetadata,
      `record the promotion on registry model ${deployment.modelId}`,
      {
        modelId: deployment.modelId,
        metadata: {
          pipeline: spec.name,
          pipeline_run: workflowInfo().workflowId,
          checkpoint: candidate.checkpointId,
          [candidate.metric]: String(candidate.value),
          promoted_at: new Date(Date.now()).toISOString(),
          deployment: deployment.id,
        },
      },
    );
    return undefined;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return `the registry model ${deployment.modelId} serves, but its metadata was not updated: ${describeFailure(err)}`;
  }
}

/** The `promoted` notification: what serves now, and what drains until when. */
export function promotionText(name: string, answer: PromoteAnswer): string {
  const c = answer.champion;
  return `${name} is now served by ${c.target} ${c.deploymentId} (checkpoint ${c.checkpointId})${
    answer.previous
      ? `; ${answer.previous.deploymentId} drains until ${answer.previous.retireAt} (starter rollback ${name} puts it back until then)`
      : ''
  }`;
}

/** The request this run smoke-tested its deployment with, kept in the slot for a rollback's check. */
function smokeRequestOf(spec: PipelineSpec, deployment: DeploymentSummary): SlotSmokeRequest {
  const { steps, deploy } = deployTargetOf(spec);
  return steps.smokeRequest(deploy, deployment);
}
