import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError } from './errors';
import { runBuildStep } from './run-build';
import { TEST_SERVER_PATCH, TEST_SERVER_VERSION } from './versions';

/**
 * Two fixes to the released time-skipping test server, compiled over its own class at provisioning.
 *
 * Something that ends while a workflow task is running (a timer fires, an activity completes, fails or
 * times out) has its end event held until the task completes, and its state machine removed at once.
 * When that task's completion cancels the same thing (a `condition(fn, timeout)` whose `fn` a signal in
 * the task made true; a cancelled scope whose activity had just finished), the released test server
 * refuses every completion of the task: INVALID_ARGUMENT "invalid history builder state for action"
 * for a timer, FAILED_PRECONDITION "ACTIVITY_UNKNOWN" for an activity. The workflow never moves again
 * and time skipping stays locked for every workflow on that server. The real server accepts both (its
 * `AddTimerCanceledEvent` drops the held TimerFired; its `AddActivityTaskCancelRequestedEvent` records
 * the request when the activity's end is held). Upstream: temporalio/sdk-java issue 2606 (open); no
 * released version carries a fix. These do what the real server does.
 */

const CLASS_FILE = 'io/temporal/internal/testservice/TestWorkflowMutableStateImpl.java';

/** One replacement in the class: the released lines and what takes their place. */
interface Fix {
  what: string;
  released: string;
  fixed: string;
}

/** Fully qualified, so the fixed class needs no new imports. */
const HISTORY = 'io.temporal.api.history.v1';
const EVENT_TYPE = 'io.temporal.api.enums.v1.EventType';

const FIXES: readonly Fix[] = [
  {
    what: 'the cancel of a timer that fired during the task',
    released: `    StateMachine<TimerData> timer = timers.get(timerId);
    if (timer == null) {
      throw Status.INVALID_ARGUMENT
          .withDescription("invalid history builder state for action")
          .asRuntimeException();
    }`,
    fixed: `    StateMachine<TimerData> timer = timers.get(timerId);
    if (timer == null) {
      // ${TEST_SERVER_PATCH}: fired while this workflow task ran. As the real server does, the cancel
      // replaces the held TimerFired event.
      ${HISTORY}.HistoryEvent fired = null;
      for (RequestContext buffered : workflowTaskStateMachine.getData().bufferedEvents) {
        java.util.Iterator<${HISTORY}.HistoryEvent> events = buffered.getEvents().iterator();
        while (fired == null && events.hasNext()) {
          ${HISTORY}.HistoryEvent event = events.next();
          if (event.getEventType() == ${EVENT_TYPE}.EVENT_TYPE_TIMER_FIRED
              && event.getTimerFiredEventAttributes().getTimerId().equals(timerId)) {
            fired = event;
            events.remove();
          }
        }
        if (fired != null) break;
      }
      if (fired == null) {
        throw Status.INVALID_ARGUMENT
            .withDescription("invalid history builder state for action")
            .asRuntimeException();
      }
      ctx.addEvent(
          ${HISTORY}.HistoryEvent.newBuilder()
              .setEventType(${EVENT_TYPE}.EVENT_TYPE_TIMER_CANCELED)
              .setTimerCanceledEventAttributes(
                  ${HISTORY}.TimerCanceledEventAttributes.newBuilder()
                      .setWorkflowTaskCompletedEventId(workflowTaskCompletedId)
                      .setTimerId(timerId)
                      .setStartedEventId(fired.getTimerFiredEventAttributes().getStartedEventId()))
              .build());
      return;
    }`,
  },
  {
    what: 'the cancel of an activity that ended during the task',
    released: `    StateMachine<?> activity = activities.get(scheduledEventId);
    if (activity == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription("ACTIVITY_UNKNOWN for scheduledEventId=" + scheduledEventId)
          .asRuntimeException();
    }`,
    fixed: `    StateMachine<?> activity = activities.get(scheduledEventId);
    if (activity == null) {
      // ${TEST_SERVER_PATCH}: ended while this workflow task ran. As the real server does, the cancel
      // request is recorded and the held end event follows it.
      boolean endedMeanwhile = false;
      for (RequestContext buffered : workflowTaskStateMachine.getData().bufferedEvents) {
        for (${HISTORY}.HistoryEvent event : buffered.getEvents()) {
          long ended = -1;
          if (event.hasActivityTaskCompletedEventAttributes())
            ended = event.getActivityTaskCompletedEventAttributes().getScheduledEventId();
          else if (event.hasActivityTaskFailedEventAttributes())
            ended = event.getActivityTaskFailedEventAttributes().getScheduledEventId();
          else if (event.hasActivityTaskTimedOutEventAttributes())
            ended = event.getActivityTaskTimedOutEventAttributes().getScheduledEventId();
          else if (event.hasActivityTaskCanceledEventAttributes())
            ended = event.getActivityTaskCanceledEventAttributes().getScheduledEventId();
          if (ended == scheduledEventId) endedMeanwhile = true;
        }
      }
      if (!endedMeanwhile) {
        throw Status.FAILED_PRECONDITION
            .withDescription("ACTIVITY_UNKNOWN for scheduledEventId=" + scheduledEventId)
            .asRuntimeException();
      }
      ctx.addEvent(
          ${HISTORY}.HistoryEvent.newBuilder()
              .setEventType(${EVENT_TYPE}.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)
              .setActivityTaskCancelRequestedEventAttributes(
                  ${HISTORY}.ActivityTaskCancelRequestedEventAttributes.newBuilder()
                      .setScheduledEventId(scheduledEventId)
                      .setWorkflowTaskCompletedEventId(workflowTaskCompletedId))
              .build());
      return;
    }`,
  },
];

/** The class's source with the fixes; refuses a source they were not written against. */
export function patchTestServer(source: string): string {
  let out = source;
  for (const fix of FIXES) {
    const at = out.indexOf(fix.released);
    if (at < 0 || out.indexOf(fix.released, at + 1) >= 0)
      throw new EngineProvisionError(
        `the test server ${TEST_SERVER_VERSION}'s ${path.basename(CLASS_FILE)} does not hold the code of ` +
          `${fix.what} exactly once: check whether this version fixed it, then update or drop that fix ` +
          `in engine/test-server-patch.ts`,
      );
    out = out.slice(0, at) + fix.fixed + out.slice(at + fix.released.length);
  }
  return out;
}

/**
 * Fetches the test server's sources jar, fixes the one class and compiles it into `classesDir`,
 * which the wrapper puts before the released jars on the class path.
 */
export async function buildPatchedClasses(
  dir: string,
  classesDir: string,
  log: (line: string) => void,
): Promise<void> {
  const sourcesDir = path.join(dir, 'sources');
  fs.rmSync(sourcesDir, { recursive: true, force: true });
  fs.rmSync(classesDir, { recursive: true, force: true });
  await runBuildStep({
    label: 'mvn temporal-test-server sources',
    command: 'mvn',
    args: [
      '-B',
      '-q',
      'dependency:copy',
      `-Dartifact=io.temporal:temporal-test-server:${TEST_SERVER_VERSION}:jar:sources`,
      `-DoutputDirectory=${sourcesDir}`,
    ],
    cwd: dir,
    timeoutMs: 10 * 60_000,
    log,
  });
  const jar = path.join(sourcesDir, `temporal-test-server-${TEST_SERVER_VERSION}-sources.jar`);
  await runBuildStep({
    label: 'extract the patched class',
    command: 'jar',
    args: ['xf', jar, CLASS_FILE],
    cwd: sourcesDir,
    timeoutMs: 60_000,
    log,
  });
  const file = path.join(sourcesDir, CLASS_FILE);
  fs.writeFileSync(file, patchTestServer(fs.readFileSync(file, 'utf8')));
  log(`Compiling the test server's fixes (${TEST_SERVER_PATCH})…`);
  await runBuildStep({
    label: 'javac',
    command: 'javac',
    args: ['-nowarn', '-proc:none', '-cp', path.join(dir, 'lib', '*'), '-d', classesDir, file],
    cwd: dir,
    timeoutMs: 5 * 60_000,
    log,
  });
}
