import { patchCancelOfFiredTimer } from '../../engine/test-server-patch';

/** The lines of the released class the fix replaces, inside a method as they stand there. */
const RELEASED = `  private void processCancelTimer(
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

describe("the test server's cancel-of-a-fired-timer fix", () => {
  it('replaces the refusal with taking the buffered TimerFired, and leaves the rest of the method as it was', () => {
    const patched = patchCancelOfFiredTimer(RELEASED);
    expect(patched).toContain('EVENT_TYPE_TIMER_FIRED');
    expect(patched).toContain('EVENT_TYPE_TIMER_CANCELED');
    // Still refused when no fire of that timer is buffered: a cancel of an unknown timer.
    expect(patched.match(/invalid history builder state for action/g)).toHaveLength(1);
    expect(patched.startsWith(RELEASED.slice(0, RELEASED.indexOf('    StateMachine<TimerData>')))).toBe(true);
    expect(
      patched.endsWith(
        '    timer.action(StateMachines.Action.CANCEL, ctx, d, workflowTaskCompletedId);\n  }\n',
      ),
    ).toBe(true);
  });

  it('refuses a source without the code it replaces (a version that changed or fixed it), naming the file to update', () => {
    expect(() => patchCancelOfFiredTimer(RELEASED.replace('timer == null', 'timer == null || gone'))).toThrow(
      /engine\/test-server-patch\.ts/,
    );
  });

  it('refuses a source holding the code twice rather than guess which to patch', () => {
    expect(() => patchCancelOfFiredTimer(RELEASED + RELEASED)).toThrow(/exactly once/);
  });
});
