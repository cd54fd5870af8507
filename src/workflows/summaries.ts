import type { ActivityFunctionWithOptions } from '@temporalio/workflow';

/**
 * Calls an activity with a one-line summary (Temporal user metadata): the Web UI shows it on the
 * activity's row of the history, so a pipeline reads as its steps ("look at job …", "delete checkpoint
 * …") instead of a list of activity type names. The summary changes nothing else about the call, and
 * replaying a history recorded without summaries is unaffected (metadata is not compared on replay).
 * Summaries are stored as payloads (encrypted like the rest when a codec is set): ids, never secrets.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any activity signature
export function summarized<T extends (...args: any[]) => Promise<any>>(
  activity: ActivityFunctionWithOptions<T>,
  summary: string,
  ...args: Parameters<T>
): Promise<Awaited<ReturnType<T>>> {
  return activity.executeWithOptions({ summary }, args);
}

/** `2026-11-26T14:05:00.000Z` → `2026-11-26 14:05 UTC`: short enough for a summary line. */
export function shortTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
