import { patchTestServer } from '../../engine/test-server-patch';

/** The lines of the released class the fixes replace, inside their methods as they stand there. */
const TIMER = `  private void processCancelTimer(
      RequestContext ctx, CancelTimerCommandAttributes d, long workflowTaskCompletedId) {
    String timerId = d.getTimerId();
    StateMachine<TimerData> timer = timers.get(timerId);
    if (timer == null) {
      throw Status.INVALID_ARGUMENT
          .withDescription("invalid history builder state for action")
          .asRuntimeException();
    }
    timer.action(StateMachines.Action.CANCEL, ctx, d, workflowTaskCompletedId);
  }
`;
const ACTIVITY = `  private void processRequestCancelActivityTask(
      RequestContext ctx,
      RequestCancelActivityTaskCommandAttributes a,
      long workflowTaskCompletedId) {
    long scheduledEventId = a.getScheduledEventId();
    StateMachine<?> activity = activities.get(scheduledEventId);
    if (activity == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription("ACTIVITY_UNKNOWN for scheduledEventId=" + scheduledEventId)
          .asRuntimeException();
    }
    State beforeState = activity.getState();
  }
`;
const RELEASED = TIMER + ACTIVITY;

describe("the test server's fixes for a cancel of what ended during the workflow task", () => {
  it('takes the held end event in both places and still refuses a cancel of what never existed', () => {
    const patched = patchTestServer(RELEASED);
    expect(patched).toContain('EVENT_TYPE_TIMER_CANCELED');
    expect(patched).toContain('EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED');
    expect(patched.match(/invalid history builder state for action/g)).toHaveLength(1);
    expect(patched.match(/ACTIVITY_UNKNOWN for scheduledEventId=/g)).toHaveLength(1);
    // The rest of each method as it was.
    expect(patched).toContain(
      '    timer.action(StateMachines.Action.CANCEL, ctx, d, workflowTaskCompletedId);\n  }\n',
    );
    expect(patched).toContain('    State beforeState = activity.getState();\n  }\n');
  });

  it('refuses a source without the code one fix replaces (a version that changed or fixed it), naming it', () => {
    expect(() => patchTestServer(TIMER.replace('timer == null', 'timer == null || gone') + ACTIVITY)).toThrow(
      /timer that fired.*engine\/test-server-patch\.ts/,
    );
    expect(() => patchTestServer(TIMER)).toThrow(/activity that ended/);
  });

  it('refuses a source holding the code twice rather than guess which to fix', () => {
    expect(() => patchTestServer(RELEASED + TIMER)).toThrow(/exactly once/);
  });
});
