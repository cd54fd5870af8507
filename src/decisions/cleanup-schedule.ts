import type { CleanupInput } from '../workflows/cleanup/contract';

/**
 * The cleanup schedule's settings as an operator sees them, and the rule of `schedule cleanup update`:
 * only the settings given change, every other one stays as it was.
 */

export type JobStatusFilter = 'completed' | 'failed' | 'cancelled' | 'stopped';

/** When it runs: an interval ("12h") or a cron expression, as they were given. */
export type ScheduleTiming = { every: string } | { cron: string };

/** What an update changes: `undefined` keeps a setting, `null` removes an optional one. */
export interface CleanupScheduleChanges {
  timing?: ScheduleTiming;
  keepLastN?: number;
  keepWithinDays?: number | null;
  status?: JobStatusFilter;
  namePrefix?: string | null;
  maxDeletes?: number;
}

/** `base` without `key` when `change` is null, with it set when given, unchanged when undefined. */
function withChange<T extends object, K extends keyof T>(
  base: T,
  key: K,
  change: T[K] | null | undefined,
): T {
  if (change === undefined) return base;
  const { [key]: _dropped, ...rest } = base;
  return (change === null ? rest : { ...rest, [key]: change }) as T;
}

/**
 * The previous input with the given changes laid over it; an absent change keeps the setting, a null
 * one removes it.
 */
export function mergeCleanupInput(previous: CleanupInput, changes: CleanupScheduleChanges): CleanupInput {
  const jobFilter = withChange(
    { ...previous.jobFilter, ...(changes.status !== undefined ? { status: changes.status } : {}) },
    'namePrefix',
    changes.namePrefix,
  );
  const retention = withChange(
    { ...previous.retention, ...(changes.keepLastN !== undefined ? { keepLastN: changes.keepLastN } : {}) },
    'keepWithinDays',
    changes.keepWithinDays,
  );
  const maxDeletes = changes.maxDeletes ?? previous.maxDeletes;
  return {
    ...previous,
    jobFilter,
    retention,
    ...(maxDeletes !== undefined ? { maxDeletes } : {}),
  };
}

const UNITS: [suffix: string, ms: number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** Milliseconds as the largest whole unit: 43 200 000 → "12h", 90 000 → "90s", 1500 → "1500ms". */
export function durationText(ms: number): string {
  for (const [suffix, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${suffix}`;
  return `${ms}ms`;
}

/** The settings, one per line, as `schedule cleanup create|update` print them. */
export function cleanupSettingsLines(timing: ScheduleTiming | undefined, input: CleanupInput): string[] {
  const r = input.retention;
  const kept = [
    `the newest ${r.keepLastN} automatic checkpoints of each job`,
    ...(r.keepWithinDays !== undefined ? [`those younger than ${r.keepWithinDays} days`] : []),
    ...(r.maxTotalBytes !== undefined ? [`up to ${r.maxTotalBytes} bytes`] : []),
  ];
  const filter = input.jobFilter ?? {};
  return [
    `  runs: ${!timing ? 'as before (a calendar this CLI did not write)' : 'every' in timing ? `every ${timing.every}` : `cron "${timing.cron}"`}`,
    `  jobs: ${filter.status ?? 'any status'}${filter.namePrefix ? `, named "${filter.namePrefix}…"` : ''}${filter.modelType ? `, ${filter.modelType}` : ''}`,
    `  keeps: ${kept.join(', ')}${r.includeManual ? '' : ', and every manual checkpoint'}`,
    `  deletes at most: ${input.maxDeletes ?? 1000} per run`,
  ];
}
