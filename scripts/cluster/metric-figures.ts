import { queryPrometheus } from './prometheus';
import type { ClusterSettings } from './settings';

/** A figure read back from Prometheus over a run: what the domain metrics said it did. */
export interface MetricFigure {
  figure: string;
  labels: string;
  value: number;
}

/**
 * The run's domain metrics as Prometheus stored them, over the last `windowSeconds`: each series'
 * highest value in the window, summed. Counters start at their first increment, which increase()
 * would not see; a worker restarted mid-run (counters back at 0) shows the larger of its two lives,
 * and what a killed worker did after its last scrape is lost: the figures are a floor.
 */
export async function runMetricFigures(
  settings: ClusterSettings,
  windowSeconds: number,
): Promise<MetricFigure[]> {
  const w = `${Math.ceil(windowSeconds)}s`;
  const asked: [string, string, (v: number) => number][] = [
    ['pipelines started', `sum by (target) (max_over_time(ftp_pipelines_started_total[${w}]))`, Math.round],
    [
      'pipelines ended',
      `sum by (outcome, target) (max_over_time(ftp_pipelines_ended_total[${w}]))`,
      Math.round,
    ],
    ['deploys', `sum by (outcome) (max_over_time(ftp_deploys_total[${w}]))`, Math.round],
    [
      'GPU-hours trained',
      `sum by (provider) (max_over_time(ftp_training_gpu_seconds_total[${w}])) / 3600`,
      round2,
    ],
    [
      'training cost $',
      `sum by (provider) (max_over_time(ftp_training_cost_cents_total[${w}])) / 100`,
      round2,
    ],
    [
      'provider requests',
      `sum by (provider, status_class) (max_over_time(ftp_provider_requests_total[${w}]))`,
      Math.round,
    ],
    ['supervision looks', `sum (max_over_time(ftp_supervision_looks_total[${w}]))`, Math.round],
    ['checkpoints deleted', `sum (max_over_time(ftp_checkpoints_deleted_total[${w}]))`, Math.round],
    ['worker targets up', 'sum by (job) (up)', Math.round],
  ];
  const figures: MetricFigure[] = [];
  for (const [figure, expr, round] of asked)
    for (const sample of await queryPrometheus(settings, expr))
      figures.push({
        figure,
        labels: Object.entries(sample.metric)
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
        value: round(sample.value),
      });
  return figures;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
