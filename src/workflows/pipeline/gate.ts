import { ApplicationFailure, condition, setCurrentDetails } from '@temporalio/workflow';
import { approvalReason, decisionOnTimeout, rejection } from '../../decisions/approval';
import { parseDuration } from '../../domain/duration';
import { evaluateGate, type GateBaseline, type GateVerdict } from '../../decisions/gate';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { provider } from '../activity-stubs';
import { currentDetails } from './current-details';
import type { CandidateSummary, PipelineStatus } from './contract';
import type { Decision } from './operator-updates';
import { pipelineMetrics } from '../metrics';
import { shortTime } from '../summaries';
import { countsHalfApprovalDeadline } from './patches';
import { awaitingApproval, gateJudged } from '../../decisions/pipeline-status';
import { moveTo } from './status';

/** The serving model's value of the policy metric: through the registry's compare call. */
export async function servingMetric(
  spec: PipelineSpec,
  jobId: string,
  servingModelId: string,
): Promise<number> {
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

/** The gate's verdict on the candidate (threshold, serving model), also in the status; throws when it fails. */
export function passGate(
  spec: PipelineSpec,
  candidate: CandidateSummary,
  baseline: GateBaseline | undefined,
  status: PipelineStatus,
): GateVerdict {
  const verdict = evaluateGate(
    candidate.value,
    {
      direction: spec.selection.direction,
      threshold: spec.gate.threshold,
      minImprovement: spec.gate.minImprovement,
    },
    baseline,
  );
  moveTo(status, gateJudged(status, verdict));
  if (!verdict.passed) {
    throw ApplicationFailure.nonRetryable(
      `gate rejected checkpoint ${candidate.checkpointId}: ${verdict.reasons.join('; ')}`,
      'GATE_REJECTED',
    );
  }
  return verdict;
}

type ApprovalPolicy = NonNullable<PipelineSpec['gate']['approval']>;

/** Waits for an operator's decision until the approval timeout; true when one came. */
export function decisionArrived(
  approval: ApprovalPolicy,
  candidate: CandidateSummary,
  status: PipelineStatus,
  decision: () => Decision | undefined,
): Promise<boolean> {
  const timeoutMs = parseDuration(approval.timeout)!;
  moveTo(status, awaitingApproval(status, new Date(Date.now() + timeoutMs).toISOString()));
  setCurrentDetails(currentDetails(status));
  const summary = `waiting for approval of ${candidate.checkpointId} until ${shortTime(Date.now() + timeoutMs)} (then ${approval.onTimeout})`;
  const decided = () => decision() !== undefined;
  if (!countsHalfApprovalDeadline()) return condition(decided, timeoutMs, { summary });
  return waitInTwoHalves(decided, timeoutMs, summary);
}

async function waitInTwoHalves(decided: () => boolean, timeoutMs: number, summary: string): Promise<boolean> {
  const half = Math.max(1, Math.floor(timeoutMs / 2));
  if (await condition(decided, half, { summary })) return true;
  pipelineMetrics.approvalPastHalfDeadline();
  return condition(decided, Math.max(1, timeoutMs - half), {
    summary: `${summary}; half its time has passed`,
  });
}

/** The operator's decision (or the timeout's) joins the gate's reasons; a rejection fails the pipeline. */
export function settleApproval(
  approval: ApprovalPolicy,
  decided: Decision | undefined,
  candidate: CandidateSummary,
  verdict: GateVerdict,
  status: PipelineStatus,
): void {
  const d = decided ?? decisionOnTimeout(approval);
  moveTo(
    status,
    gateJudged(status, { passed: d.approved, reasons: [...verdict.reasons, approvalReason(d)] }, true),
  );
  if (!d.approved) {
    const { message, type } = rejection(candidate.checkpointId, d, decided !== undefined);
    throw ApplicationFailure.nonRetryable(message, type);
  }
}
