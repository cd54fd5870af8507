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

/** What creates the cleanup schedule `id`: named wherever one is not found. */
export const cleanupCreateCommand = (id: string) => `starter schedule cleanup create --id ${id} --every 1d`;

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

/** When a schedule runs, as the CLI prints it. */
export const timingText = (timing: ScheduleTiming | undefined) =>
  !timing
    ? 'as before (a calendar this CLI did not write)'
    : 'every' in timing
      ? `every ${timing.every}`
      : `cron "${timing.cron}"`;

/**
 * Settings one per line (`  label: value`); with `before`, each that changed says what it was
 * (`keeps: … (was …)`), so that a create over an existing schedule or an update shows what it changed.
 */
export function settingLines<S>(
  rows: [label: string, text: (s: S) => string][],
  after: S,
  before?: S,
): string[] {
  return rows.map(([label, text]) => {
    const now = text(after);
    const was = before === undefined ? now : text(before);
    return `  ${label}: ${now}${was !== now ? ` (was ${was})` : ''}`;
  });
}

/** A cleanup schedule's settings as the CLI shows them. */
export interface CleanupSettings {
  timing?: ScheduleTiming;
  input: CleanupInput;
}

/** The settings, one per line, as `schedule cleanup create|update` print them; with `before`, what each changed setting was. */
export function cleanupSettingsLines(after: CleanupSettings, before?: CleanupSettings): string[] {
  return settingLines<CleanupSettings>(
    [
      ['runs', (s) => timingText(s.timing)],
      [
        'jobs',
        ({ input: { jobFilter: f = {} } }) =>
          `${f.status ?? 'any status'}${f.namePrefix ? `, named "${f.namePrefix}…"` : ''}${f.modelType ? `, ${f.modelType}` : ''}`,
      ],
      ['keeps', (s) => keptText(s.input.retention)],
      ['deletes at most', (s) => `${s.input.maxDeletes ?? 1000} per run`],
    ],
    after,
    before,
  );
}

function keptText(r: CleanupInput['retention']): string {
  const kept = [
    `the newest ${r.keepLastN} automatic checkpoints of each job`,
    ...(r.keepWithinDays !== undefined ? [`those younger than ${r.keepWithinDays} days`] : []),
    ...(r.maxTotalBytes !== undefined ? [`up to ${r.maxTotalBytes} bytes`] : []),
  ];
  return `${kept.join(', ')}${r.includeManual ? '' : ', and every manual checkpoint'}`;
}
