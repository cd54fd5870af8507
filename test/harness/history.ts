import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

/** An activity a history scheduled, as the tests that check the order of a run's steps read it. */
export interface ScheduledActivity {
  name: string;
  /** The workflow tasks completed before the one that scheduled it: equal for activities scheduled together. */
  task: number;
  /** The event id of its scheduling, and of its completion when it completed. */
  scheduledAt: number;
  completedAt?: number;
  /** Its first argument, when it has one. */
  input?: Record<string, unknown>;
}

/** Each activity a history scheduled, in history order. */
export function scheduledActivities(events: Event[]): ScheduledActivity[] {
  const completedAt = new Map<string, number>();
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (done) completedAt.set(String(done.scheduledEventId), Number(e.eventId));
  }
  let completed = 0;
  return events.flatMap((e) => {
    if (e.workflowTaskCompletedEventAttributes) completed++;
    const a = e.activityTaskScheduledEventAttributes;
    if (!a?.activityType?.name) return [];
    const payload = a.input?.payloads?.[0];
    const done = completedAt.get(String(e.eventId));
    return [
      {
        name: a.activityType.name,
        task: completed,
        scheduledAt: Number(e.eventId),
        ...(done !== undefined ? { completedAt: done } : {}),
        ...(payload ? { input: defaultPayloadConverter.fromPayload<Record<string, unknown>>(payload) } : {}),
      },
    ];
  });
}

/** The patch ids a history's markers carry, in order. */
export function patchMarkers(events: Event[]): string[] {
  return events.flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
    return data ? [defaultPayloadConverter.fromPayload<{ id: string }>(data).id] : [];
  });
}
