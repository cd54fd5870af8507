import { attribute, perKind, spansOf, type Span } from '../../bench/breakdown';

const span = (step: string, kind: Span['kind'], fromMs: number, toMs: number): Span => ({
  workflow: 'w',
  step,
  kind,
  fromMs,
  toMs,
});
const time = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });

describe('the overhead breakdown counts each millisecond of a pipeline once', () => {
  it('overlapping spans go to the most specific kind; nothing pending is a gap; the columns add up to the wall', () => {
    const a = attribute(
      [
        span('child', 'child', 0, 100),
        span('watch', 'work', 10, 30),
        span('watch: confirming second look', 'deliberate', 20, 60),
        span('task', 'workflow-task', 50, 70),
      ],
      0,
      120,
    );
    expect(a.ms.get('w\twatch\twork')).toBe(10);
    expect(a.ms.get('w\twatch: confirming second look\tdeliberate')).toBe(40);
    expect(a.ms.get('w\ttask\tworkflow-task')).toBe(10);
    expect(a.ms.get('w\tchild\tchild')).toBe(40);
    expect(a.gapMs).toBe(20);
    const totals = perKind(a);
    expect(Object.values(totals).reduce((x, y) => x + y, 0)).toBe(a.wallMs);
  });

  it('spans outside the window are clipped to it', () => {
    const a = attribute([span('slot idle timer', 'deliberate', -500, 500)], 0, 100);
    expect(a.ms.get('w\tslot idle timer\tdeliberate')).toBe(100);
    expect(a.gapMs).toBe(0);
  });

  it("a retried watch's wait before its last attempt is a deliberate wait when the last failure asked for it", () => {
    // Shaped as a fetched history's events (the client's Long fields arrive as strings or numbers).
    const events: unknown[] = [
      {
        eventId: 1,
        eventTime: time(0),
        workflowExecutionStartedEventAttributes: { workflowType: { name: 'sup' } },
      },
      {
        eventId: 5,
        eventTime: time(10),
        activityTaskScheduledEventAttributes: { activityType: { name: 'watchTrainingJob' } },
      },
      {
        eventId: 6,
        eventTime: time(1010),
        activityTaskStartedEventAttributes: {
          scheduledEventId: 5,
          attempt: 2,
          lastFailure: {
            message: 'the job answered "completed": looking again in 1.0 s to confirm',
            applicationFailureInfo: { type: 'JOB_UNCHANGED', category: 1 },
          },
        },
      },
      {
        eventId: 7,
        eventTime: time(1020),
        activityTaskCompletedEventAttributes: { scheduledEventId: 5, startedEventId: 6 },
      },
    ];
    const spans = spansOf(events as Parameters<typeof spansOf>[0]);
    expect(spans).toEqual([
      {
        workflow: 'sup',
        step: 'watchTrainingJob: confirming second look',
        kind: 'deliberate',
        fromMs: 10,
        toMs: 1010,
      },
      { workflow: 'sup', step: 'watchTrainingJob', kind: 'work', fromMs: 1010, toMs: 1020 },
    ]);
  });
});
