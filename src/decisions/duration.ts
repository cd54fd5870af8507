import { parseDuration } from '../domain/duration';

interface DurationBounds {
  min: string;
  max: string;
}

/**
 * The one table of sane durations, per field of the pipeline file and per CLI flag that feeds one.
 * Minimums keep a typo (`0s`, `1ms`) from becoming a busy poll or an instant timeout, yet allow the
 * sandbox's compressed clock (one epoch per second); maximums keep every deadline a date can hold
 * (`100000000d` overflowed `Date`) and a human can wait for.
 */
export const DURATION_BOUNDS = {
  /** A completion is noticed at most this late. */
  'supervision.freshness': { min: '1s', max: '1d' },
  /** Shortest gap between two looks at a job; a floor of 100 ms is already more than any provider allows for long. */
  'supervision.minInterval': { min: '100ms', max: '1h' },
  'supervision.stallAfter': { min: '10s', max: '7d' },
  'supervision.unknownStatusGrace': { min: '10s', max: '7d' },
  /** A "failed", "cancelled" or "stopped" must hold this long before it is acted on. */
  'supervision.terminalStatusWindow': { min: '1s', max: '1d' },
  /** Each report is a few history events: below 10 s a long job's history fills for nothing. */
  'supervision.reportEvery': { min: '10s', max: '7d' },
  /** Nobody answers an approval after a month; below a minute nobody can answer at all. */
  'gate.approval.timeout': { min: '1m', max: '30d' },
  'deploy.timeout': { min: '30s', max: '1d' },
  /** How long a replaced deployment drains (and can be rolled back to); 0s retires it at once. */
  'deploy.retireAfter': { min: '0s', max: '30d' },
  /** A probe's latency bounds: one request gives up after 30 s. */
  'deploy.probe.maxP95': { min: '1ms', max: '30s' },
  'deploy.probe.maxP95OverChampion': { min: '0s', max: '30s' },
  /** `starter schedule cleanup --every`. */
  'schedule.every': { min: '1m', max: '366d' },
  /** `starter reconcile --grace`: how long an owner has been closed (or a resource without one has existed). */
  'reconcile.grace': { min: '1m', max: '30d' },
} as const satisfies Record<string, DurationBounds>;

export type BoundedDurationField = keyof typeof DURATION_BOUNDS;

/**
 * Why `text` is not an acceptable value for `field`, or undefined when it is (a duration within the
 * field's bounds).
 */
export function durationProblem(text: string, field: BoundedDurationField): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return `must be a duration such as "90s", "5m", "2h" or "7d", got "${text}"`;
  const { min, max } = DURATION_BOUNDS[field];
  if (ms < parseDuration(min)! || ms > parseDuration(max)!)
    return `must be between ${min} and ${max}, got "${text}"`;
  return undefined;
}
