import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';

/**
 * Provider requests as metrics, through the running activity's meter (outside an activity — the CLI,
 * a test — nothing is recorded). Labels: the provider, the route template (never a path with ids)
 * and the status class. Names and meanings: docs/metrics.md.
 */
function activityMeter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined;
  }
}

/** `2xx`…`5xx`; 429 is its own class (the rate-limit signal); `network` when no answer came. */
export function statusClass(status: number | undefined): string {
  if (status === undefined) return 'network';
  if (status === 429) return '429';
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

export function recordProviderRequest(
  provider: string,
  route: string,
  status: number | undefined,
  retryAfterMs: number | undefined,
): void {
  const meter = activityMeter();
  if (!meter) return;
  meter
    .createCounter(
      'ftp_provider_requests_total',
      '',
      'Provider API requests, by provider, route and status class',
    )
    .add(1, { provider, route, status_class: statusClass(status) });
  // A request made by a retried activity attempt: what the provider's failures cost in extra requests.
  if (Context.current().info.attempt > 1)
    meter
      .createCounter('ftp_provider_request_retries_total', '', 'Provider requests made by retried attempts')
      .add(1, { provider });
  if (retryAfterMs !== undefined)
    meter
      .createHistogram(
        'ftp_provider_retry_after_seconds',
        'float',
        's',
        'Waits the providers asked for (Retry-After)',
      )
      .record(retryAfterMs / 1000, { provider });
}
