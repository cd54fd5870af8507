import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

/** Each activity a history scheduled, with the workflow task that scheduled it (tasks completed before it). */
export function scheduledActivities(events: Event[]): { name: string; task: number }[] {
  let completed = 0;
  return events.flatMap((e) => {
    if (e.workflowTaskCompletedEventAttributes) completed++;
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [{ name, task: completed }] : [];
  });
}

/** The patch ids a history's markers carry, in order. */
export function patchMarkers(events: Event[]): string[] {
  return events.flatMap((e) => {
    const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0];
    return data ? [defaultPayloadConverter.fromPayload<{ id: string }>(data).id] : [];
  });
}
