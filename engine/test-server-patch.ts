import fs from 'node:fs';
import path from 'node:path';
import { EngineProvisionError } from './errors';
import { runBuildStep } from './run-build';
import { TEST_SERVER_PATCH, TEST_SERVER_VERSION } from './versions';

/**
 * One fix to the released time-skipping test server, compiled over its own class at provisioning.
 *
 * A timer that fires while a workflow task is running has its TimerFired event buffered until the
 * task completes, and its state machine removed. When that task's completion cancels the same timer
 * (a `condition(fn, timeout)` whose `fn` a signal in the task made true), the test server answers
 * INVALID_ARGUMENT "invalid history builder state for action" to every completion of the task: the
 * workflow never moves again and time skipping stays locked for every workflow on the server. The
 * real server accepts the cancel and drops the buffered TimerFired (its `AddTimerCanceledEvent`).
 * Upstream: temporalio/sdk-java issue 2606 (open); no released version carries a fix. This patch
 * does what the real server does: the cancel takes the buffered TimerFired's place as TimerCanceled.
 */

const CLASS_FILE = 'io/temporal/internal/testservice/TestWorkflowMutableStateImpl.java';

const UNPATCHED = `    StateMachine<TimerData> timer = timers.get(timerId);
    if (timer == null) {
      throw Status.INVALID_ARGUMENT
          .withDescription("invalid history builder state for action")
          .asRuntimeException();
    }`;

const PATCHED = `    StateMachine<TimerData> timer = timers.get(timerId);
    if (timer == null) {
      // ${TEST_SERVER_PATCH}: fired while this workflow task ran. As the real server does, the cancel
      // replaces the buffered TimerFired event.
      io.temporal.api.history.v1.HistoryEvent fired = null;
      for (RequestContext buffered : workflowTaskStateMachine.getData().bufferedEvents) {
        java.util.Iterator<io.temporal.api.history.v1.HistoryEvent> events = buffered.getEvents().iterator();
        while (fired == null && events.hasNext()) {
          io.temporal.api.history.v1.HistoryEvent event = events.next();
          if (event.getEventType() == io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_FIRED
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
          io.temporal.api.history.v1.HistoryEvent.newBuilder()
              .setEventType(io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_CANCELED)
              .setTimerCanceledEventAttributes(
                  io.temporal.api.history.v1.TimerCanceledEventAttributes.newBuilder()
                      .setWorkflowTaskCompletedEventId(workflowTaskCompletedId)
                      .setTimerId(timerId)
                      .setStartedEventId(fired.getTimerFiredEventAttributes().getStartedEventId()))
              .build());
      return;
    }`;

/** The class's source with the fix; refuses a source the fix was not written against. */
export function patchCancelOfFiredTimer(source: string): string {
  const at = source.indexOf(UNPATCHED);
  if (at < 0 || source.indexOf(UNPATCHED, at + 1) >= 0)
    throw new EngineProvisionError(
      `the test server ${TEST_SERVER_VERSION}'s ${path.basename(CLASS_FILE)} does not hold the code the ` +
        `${TEST_SERVER_PATCH} fix replaces exactly once: check whether this version fixed it, then update ` +
        `or drop engine/test-server-patch.ts`,
    );
  return source.slice(0, at) + PATCHED + source.slice(at + UNPATCHED.length);
}

/**
 * Fetches the test server's sources jar, patches the one class and compiles it into `classesDir`,
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
  fs.writeFileSync(file, patchCancelOfFiredTimer(fs.readFileSync(file, 'utf8')));
  log(`Compiling the test server's ${TEST_SERVER_PATCH} fix…`);
  await runBuildStep({
    label: 'javac',
    command: 'javac',
    args: ['-nowarn', '-proc:none', '-cp', path.join(dir, 'lib', '*'), '-d', classesDir, file],
    cwd: dir,
    timeoutMs: 5 * 60_000,
    log,
  });
}
