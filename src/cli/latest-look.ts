/**
 * The job's latest look, read without adding history: between reports the supervision's watch
 * activity keeps its last look in its heartbeat details, which the server holds on the pending
 * activity (`describe()`), not in the history. The CLI merges it with the workflow's own status.
 */
import type { WorkflowClient } from '@temporalio/client';
import type { BetweenLooks, LatestLook } from '../activities/watch';
import { isTerminalStatus } from '../decisions/supervision';
import type { SupervisionProgress } from '../workflows/supervise/contract';
import { payloadReader } from './payloads';

const SUPERVISION_WORKFLOW_TYPE = 'superviseTrainingJob';
const WATCH_ACTIVITY_TYPE = 'watchTrainingJob';

/**
 * The pending watch's last look for a supervision workflow, or for a pipeline (through its pending
 * supervising child); undefined when no watch is pending or it has not looked yet. Payloads are
 * decoded with the client's data converter (so encrypted details need the keys, like everything else).
 */
export async function latestLook(
  client: WorkflowClient,
  workflowId: string,
): Promise<LatestLook | undefined> {
  let described = await client.getHandle(workflowId).describe();
  if (described.type !== SUPERVISION_WORKFLOW_TYPE) {
    const child = described.raw.pendingChildren?.find(
      (c) => c.workflowTypeName === SUPERVISION_WORKFLOW_TYPE && c.workflowId,
    );
    if (!child) return undefined;
    // By id alone: a supervision that continued as new is the same workflow under a newer run.
    described = await client.getHandle(child.workflowId!).describe();
  }
  const watch = described.raw.pendingActivities?.find((a) => a.activityType?.name === WATCH_ACTIVITY_TYPE);
  const payloads = watch?.heartbeatDetails?.payloads;
  if (!payloads?.length) return undefined;
  const { payloadCodecs } = client.options.loadedDataConverter;
  const details = await payloadReader({ payloadCodecs }).first<BetweenLooks | undefined>(payloads);
  return details?.latest;
}

/**
 * The workflow's progress with a newer look laid over it (epoch, step, percentage, loss, cost, status);
 * the workflow's own figures (best loss, checkpoints, resumes) stay. A look older than the workflow's
 * last report is ignored.
 */
export function withLatestLook(
  progress: SupervisionProgress | undefined,
  look: LatestLook | undefined,
): SupervisionProgress | undefined {
  if (!look) return progress;
  if (progress && Date.parse(progress.updatedAt) >= Date.parse(look.at)) return progress;
  const base: SupervisionProgress = progress ?? {
    jobId: '',
    status: look.status,
    rawStatus: look.status,
    metrics: {},
    checkpointsSeen: 0,
    resumes: 0,
    polls: 0,
    runs: 1,
    updatedAt: look.at,
  };
  const metrics = look.loss === undefined ? base.metrics : { ...base.metrics, loss: look.loss };
  const best = [base.bestLoss, look.loss].filter((x): x is number => typeof x === 'number');
  return {
    ...base,
    status: look.status,
    epoch: look.epoch ?? base.epoch,
    totalEpochs: look.totalEpochs ?? base.totalEpochs,
    step: look.step ?? base.step,
    totalSteps: look.totalSteps ?? base.totalSteps,
    percentage: look.percentage ?? base.percentage,
    metrics,
    bestLoss: best.length ? Math.min(...best) : undefined,
    cost: look.cost ?? base.cost,
    // A cost the look did not bring is the workflow's, as old as its report.
    costAt: look.cost !== undefined ? look.costAt : base.updatedAt,
    readAt: look.readAt,
    eta: look.eta ?? (isTerminalStatus(look.status) ? undefined : base.eta),
    updatedAt: look.at,
  };
}

/** Payloads the CLI cannot decode because they are encrypted and it has no keys: what to set. */
export function missingKeyMessage(err: unknown): string | undefined {
  const text =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  if (!/Unknown encoding: binary\/encrypted/.test(text)) return undefined;
  return 'the workflow payloads are encrypted (binary/encrypted) and this CLI has no key: set FTP_PAYLOAD_KEYS to the keys the worker uses (<id>:<base64 of 32 bytes>, comma-separated) and FTP_PAYLOAD_KEY_ID to the active id';
}
