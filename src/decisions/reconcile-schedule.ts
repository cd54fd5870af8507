import { durationText, settingLines, timingText, type ScheduleTiming } from './cleanup-schedule';
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

/** What creates the reconcile schedule `id`: named wherever one is not found. */
export const reconcileCreateCommand = (id: string) =>
  `starter schedule reconcile create --id ${id} --every 1h`;

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

const modeText = (dryRun: boolean) => (dryRun ? 'dry run (reports only)' : 'stops and removes');

/**
 * The settings, one per line, as `schedule reconcile create|update` print them; with `before`, each
 * setting that changed says what it was.
 */
export function reconcileSettingsLines(after: ReconcileSettings, before?: ReconcileSettings): string[] {
  return settingLines<ReconcileSettings>(
    [
      ['runs', (s) => timingText(s.timing)],
      ['grace', (s) => durationText(s.input.graceMs)],
      ['mode', (s) => modeText(s.input.dryRun)],
    ],
    after,
    before,
  );
}

interface ReconcileSettings {
  timing?: ScheduleTiming;
  input: ReconcileInput;
}
