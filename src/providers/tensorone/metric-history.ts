import type { MetricPoint } from '../../decisions/early-stop';
import type { TensorOneClient } from './client';
import { classified } from '../../activities/failures';

/** The documented page size of the checkpoint list. */
const PAGE = 100;

/** The metric history an early stop judges by, read from the job's checkpoint list. */
export function metricHistoryActivities(client: TensorOneClient) {
  return {
    /**
     * One point per checkpoint of the newest epochs (one page, newest first): its epoch and its value
     * of `metric`, absent when the checkpoint does not carry it. Only checkpoints after `afterEpoch`
     * (the workflow keeps the older ones), and no `best` copy of another checkpoint. Compact on
     * purpose: this answer is kept in the supervision's history at every new epoch.
     */
    async checkpointMetricHistory(input: {
      jobId: string;
      metric: string;
      afterEpoch?: number;
    }): Promise<MetricPoint[]> {
      const page = await classified(() =>
        client.checkpoints.list(input.jobId, {
          includeMetrics: true,
          sortBy: 'epoch',
          sortOrder: 'desc',
          limit: PAGE,
        }),
      );
      const after = input.afterEpoch ?? Number.NEGATIVE_INFINITY;
      return page.checkpoints
        .filter((c) => c.type !== 'best' && c.epoch !== undefined && c.epoch > after)
        .map((c) => {
          const value = c.metrics[input.metric];
          return typeof value === 'number' ? { epoch: c.epoch!, value } : { epoch: c.epoch! };
        })
        .sort((a, b) => a.epoch - b.epoch);
    },
  };
}
