import { durationText, type ScheduleTiming } from './cleanup-schedule';
import type { ReconcileInput } from './reconcile';

/**
 * The reconcile schedule's settings as an operator sees them, and the rule of `schedule reconcile
 * update`: only the settings given change, every other one stays as it was.
 */

/** What an update changes: `undefined` keeps a setting. */
export interface ReconcileScheduleChanges {
  timing?: ScheduleTiming;
  graceMs?: number;
  dryRun?: boolean;
}

/** The previous input with the given changes laid over it. */
export function mergeReconcileInput(
  previous: ReconcileInput,
  changes: ReconcileScheduleChanges,
): ReconcileInput {
  return {
    ...previous,
    ...(changes.graceMs !== undefined ? { graceMs: changes.graceMs } : {}),
    ...(changes.dryRun !== undefined ? { dryRun: changes.dryRun } : {}),
  };
}

const timingText = (timing: ScheduleTiming | undefined) =>
  !timing
    ? 'as before (a calendar this CLI did not write)'
    : 'every' in timing
      ? `every ${timing.every}`
      : `cron "${timing.cron}"`;

const modeText = (dryRun: boolean) => (dryRun ? 'dry run (reports only)' : 'stops and removes');

/**
 * The settings, one per line, as `schedule reconcile create|update` print them; with `before`, each
 * setting that changed says what it was.
 */
export function reconcileSettingsLines(
  after: { timing?: ScheduleTiming; input: ReconcileInput },
  before?: { timing?: ScheduleTiming; input: ReconcileInput },
): string[] {
  const line = (label: string, text: (s: NonNullable<typeof before>) => string) => {
    const now = text(after);
    const was = before ? text(before) : now;
    return `  ${label}: ${now}${was !== now ? ` (was ${was})` : ''}`;
  };
  return [
    line('runs', (s) => timingText(s.timing)),
    line('grace', (s) => durationText(s.input.graceMs)),
    line('mode', (s) => modeText(s.input.dryRun)),
  ];
}
