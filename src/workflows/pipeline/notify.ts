import { workflowInfo } from '@temporalio/workflow';
import type { PipelineNotification } from '../../activities/notify';
import { notifier } from '../activity-stubs';
import type { PipelinePhase, PipelineResult, PipelineStatus } from './contract';
import { summarized } from '../summaries';
import { notifiesOnlyWithWebhook, notifiesWebhook } from './patches';

export interface PipelineNotices {
  /** Queues one notification behind the ones before it; never waits, never fails the pipeline. */
  notify(kind: PipelineNotification['kind'], text: string): void;
  /** The phase just entered, and for `awaiting-approval` the command that answers it. */
  phaseEntered(p: PipelinePhase): void;
  /** Settles once every notification queued so far was delivered or dropped. */
  delivered(): Promise<unknown>;
  /** The worker said whether it has a webhook before any notification: without one, none is scheduled. */
  webhookAnswered(configured: boolean): void;
}

/** The webhook notifications of one pipeline. */
export function pipelineNotices(status: PipelineStatus): PipelineNotices {
  // Notifications go out in order without holding the pipeline up; a failed delivery is dropped.
  const notifications = notifiesWebhook();
  // The first delivery's answer says whether the worker has a webhook at all; without one, no more
  // notification activities (pipelines started before this notify at every phase).
  const askOnce = notifiesOnlyWithWebhook();
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
  return {
    notify,
    phaseEntered: (p) => {
      notify('phase', `phase: ${p}`);
      if (p === 'awaiting-approval') {
        notify(
          'approval-requested',
          `approval needed for ${status.candidate?.checkpointId} (${status.candidate?.metric} ${status.candidate?.value}): npx starter approve ${workflowInfo().workflowId} --checkpoint ${status.candidate?.checkpointId}`,
        );
      }
    },
    delivered: () => delivered,
    webhookAnswered: (configured) => {
      if (askOnce && !configured) webhookConfigured = false;
    },
  };
}

/** The closing notification of a deployed pipeline. */
export function resultText(result: PipelineResult): string {
  const duplicate = result.deployment?.possibleDuplicate;
  return `serving: ${result.deployment?.target} ${result.deployment?.id} (${result.checkpoint?.checkpointId}); deleted ${result.deletedCheckpoints.length} old checkpoints${duplicate ? `; possible duplicate: ${duplicate.reason}` : ''}`;
}
