import { metricMeter } from '@temporalio/workflow';
import type { DeploymentTarget as Target } from '../decisions/serving-slot';

/**
 * The workflows' domain metrics, through the SDK's workflow-safe meter (nothing is emitted while a
 * history replays; emitting is no command). Labels are bounded enums: never a job, run or checkpoint id.
 * Names and meanings: docs/metrics.md.
 */
type Provider = 'tensorone' | 'marqtune';

export const pipelineMetrics = {
  started(provider: Provider, target: Target): void {
    metricMeter
      .createCounter('ftp_pipelines_started_total', '', 'Pipelines started, by provider and deploy target')
      .add(1, { provider, target });
  },
  ended(outcome: 'deployed' | 'cancelled' | 'failed', target: Target): void {
    metricMeter
      .createCounter('ftp_pipelines_ended_total', '', 'Pipelines ended, by outcome and deploy target')
      .add(1, { outcome, target });
  },
  /** From the pipeline's start to its deployment serving and smoke-tested. */
  timeToDeploy(seconds: number, target: Target): void {
    metricMeter
      .createHistogram('ftp_pipeline_time_to_deploy_seconds', 'float', 's', 'Pipeline start to serving')
      .record(Math.max(0, seconds), { target });
  },
  deploy(outcome: 'serving' | 'failed', target: Target): void {
    metricMeter
      .createCounter(
        'ftp_deploys_total',
        '',
        'Deployments tried, by outcome (serving and smoke-tested, or failed)',
      )
      .add(1, { outcome, target });
  },
  approvalWait(seconds: number, outcome: 'approved' | 'rejected' | 'timed-out'): void {
    metricMeter
      .createHistogram('ftp_approval_wait_seconds', 'float', 's', 'Time a candidate awaited approval')
      .record(Math.max(0, seconds), { outcome });
  },
  /** A candidate still awaits approval when half its approval timeout has passed. */
  approvalPastHalfDeadline(): void {
    metricMeter
      .createCounter(
        'ftp_approvals_past_half_deadline_total',
        '',
        'Approvals still undecided at half their timeout',
      )
      .add(1);
  },
};

export const cleanupMetrics = {
  deleted(bytes: number): void {
    metricMeter.createCounter('ftp_checkpoints_deleted_total', '', 'Checkpoints deleted by cleanups').add(1);
    if (bytes > 0)
      metricMeter
        .createCounter('ftp_checkpoint_bytes_reclaimed_total', 'By', 'Storage reclaimed by cleanups')
        .add(Math.round(bytes));
  },
  ended(outcome: 'completed' | 'failed'): void {
    metricMeter
      .createCounter('ftp_cleanups_ended_total', '', 'Checkpoint cleanups ended, by outcome')
      .add(1, { outcome });
  },
};

/**
 * The SDK's counters hold whole numbers: GPU time counts in seconds and cost in cents, each the
 * difference of the rounded running totals (so rounding never accumulates).
 */
export const supervisionMetrics = {
  /** What a look saw billed since the look before it (cost in the provider's currency, USD). */
  spent(
    provider: Provider,
    before: { gpuHours?: number; cost?: number },
    after: { gpuHours?: number; cost?: number },
  ): void {
    const delta = (a: number | undefined, b: number | undefined, scale: number) =>
      typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)
        ? Math.round(b * scale) - Math.round(a * scale)
        : 0;
    const gpuSeconds = delta(before.gpuHours, after.gpuHours, 3600);
    const cents = delta(before.cost, after.cost, 100);
    if (gpuSeconds > 0)
      metricMeter
        .createCounter('ftp_training_gpu_seconds_total', 's', 'GPU time of training seen by looks')
        .add(gpuSeconds, { provider });
    if (cents > 0)
      metricMeter
        .createCounter('ftp_training_cost_cents_total', 'cents', 'Training cost seen by looks (USD cents)')
        .add(cents, { provider });
  },
};
