import { TestWorkflowEnvironment, type DevServerConfig } from '@temporalio/testing';

/**
 * Dynamic config for the local dev server. It runs ONE history shard, and each shard reads its task
 * queues at most 20 times a second by default (sized for clusters with hundreds of shards), so every
 * step of a pipeline waited up to 50 ms for the next read: 88 ms per step in `bench/overhead.ts`,
 * 26 ms with these values. A real cluster spreads the same work over its shards and needs none of this.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
  // One partition per task queue: a queue's `maxTaskQueueActivitiesPerSecond` is split among its
  // partitions, each with a burst of its own, so with the default four, four provider activities could
  // start in the same instant under TENSORONE_MAX_RPS=1. One server process gains nothing from more.
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  // Eager activity dispatch: an activity on the workflow's own task queue comes back to the worker in
  // the answer to the workflow task that scheduled it, without a trip through matching and a poll (no
  // `queued` time in bench/breakdown.ts). 26.3 → 24.5 ms per step tuned in `bench:compare` against
  // the same code without it (3 rounds, bench/RESULTS.md). It bypasses a queue's
  // `maxTaskQueueActivitiesPerSecond`, and the SDK asks for it only for an activity on the worker's own
  // queue: provider activities run on `<queue>--<provider>`, so their limit holds
  // (test/workflows/provider-queues.test.ts reads the server's eager count).
  'system.enableActivityEagerExecution': true,
};

/** The values as `temporal server start-dev` arguments. */
export function devServerTuningArgs(): string[] {
  return Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${value}`,
  ]);
}

/**
 * Starts the dev server built by `ensureEngines` with the tuning above and error-level logs, so every
 * caller (tests, main job, chaos, benchmarks) gets the same server; `options` add to or override that.
 */
export function startDevServer(
  binary: string,
  options: Omit<DevServerConfig, 'type' | 'executable'> = {},
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binary },
      log: { format: 'pretty', level: 'error' },
      extraArgs: devServerTuningArgs(),
      ...options,
    },
  });
}
