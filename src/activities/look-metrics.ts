import { Context } from '@temporalio/activity';

/**
 * A supervision's look as metrics: every look, and the ones made later than the supervision's
 * freshness after the look before (a provider outage, a busy worker, a rate-limited queue), past a
 * tolerance of a quarter of the freshness (at least a second) for scheduling.
 */
export function recordLook(
  provider: 'tensorone' | 'marqtune',
  sincePreviousMs: number,
  freshnessMs: number,
): void {
  const meter = Context.current().metricMeter;
  meter.createCounter('ftp_supervision_looks_total', '', 'Looks at training jobs').add(1, { provider });
  if (sincePreviousMs > freshnessMs + Math.max(1000, freshnessMs / 4))
    meter
      .createCounter(
        'ftp_supervision_looks_late_total',
        '',
        'Looks made later than the freshness after the one before',
      )
      .add(1, { provider });
}
