/**
 * What a supervision (`superviseTrainingJob`, a pipeline's child) did to its job, read from its
 * history for the invariants (chaos/invariants.ts, I10): its `stallAfter` and `freshness` as its input
 * gave them, and every stop of its job it asked for, with the stop activity's summary, when it was
 * scheduled (server time) and how the provider answered it.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { parseDuration } from '../src/domain/duration';
import type { SupervisionEnd } from './invariants';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;
type Timestamp = temporal.api.history.v1.IHistoryEvent['eventTime'];

/** Epoch milliseconds of an event's time (its seconds may be a Long). */
const msOf = (ts: Timestamp): number => Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);

const SUPERVISE = 'superviseTrainingJob';
const STOP = 'stopTrainingJob';

const decoded = <T>(payload: Payload | null | undefined): T | undefined => {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    return undefined; // encrypted (a codec) or not JSON: nothing to read
  }
};

/** The supervision this history is of, or undefined when it is another workflow's (or unreadable). */
export function supervisionOf(workflowId: string, history: History | undefined): SupervisionEnd | undefined {
  const events = history?.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (started?.workflowType?.name !== SUPERVISE) return undefined;
  const input = decoded<{ jobId?: string; stallAfter?: string; freshness?: string }>(
    started.input?.payloads?.[0],
  );
  const stallAfterMs = parseDuration(String(input?.stallAfter));
  if (!input?.jobId || input.stallAfter === undefined || stallAfterMs === undefined) return undefined;
  const outcomes = new Map<string, SupervisionEnd['stops'][number]['outcome']>();
  const details = new Map<string, string>();
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    const failed = e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (done) outcomes.set(String(done.scheduledEventId), 'stopped');
    if (failed) {
      outcomes.set(String(failed.scheduledEventId), 'failed');
      details.set(String(failed.scheduledEventId), failed.failure?.message ?? '');
    }
  }
  const stops: SupervisionEnd['stops'] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== STOP) continue;
    const args = decoded<{ jobId?: string; reason?: string }>(scheduled.input?.payloads?.[0]);
    const id = String(e.eventId);
    stops.push({
      at: msOf(e.eventTime),
      jobId: args?.jobId ?? input.jobId,
      // Stops without a summary (the supervision's stop on cancel or failure) say why in their reason.
      summary: decoded<string>(e.userMetadata?.summary) ?? `reason: ${args?.reason ?? '(none)'}`,
      outcome: outcomes.get(id) ?? 'unfinished',
      ...(details.has(id) ? { detail: details.get(id)!.slice(0, 200) } : {}),
    });
  }
  return {
    workflowId,
    jobId: input.jobId,
    stallAfter: input.stallAfter,
    stallAfterMs,
    freshnessMs: parseDuration(String(input.freshness)) ?? 0,
    stops,
  };
}
