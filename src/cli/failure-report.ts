import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { ConfigError, TemporalUnreachable, temporalRemedy } from '../config/temporal-connection';
import { InvalidPipelineInput } from '../domain/pipeline-input';
import { appendJsonLine, logFile, shownPath } from '../logging/log-files';
import { redactText } from '../providers/http/redact';
import { InvalidScheduleInput, WorkflowScheduleNotFound } from '../schedules/workflow-schedule';
import { EXIT, NotFound } from './exit-codes';
import { failureCause, PipelineFailed } from './follow';
import { missingKeyMessage } from './latest-look';
import { OperatorRefusal } from './operator';
import { NoWorkerPolling } from './workers';

/**
 * How a command that did not succeed ends: one line on stderr (one JSON line with `--json`) and the
 * exit code of its class (EXIT). Expected outcomes — bad input, a refusal, something not there, a
 * known server answer — say what to do; anything else says its cause and where its details went.
 * Never a stack trace on the terminal: that goes to the log file.
 */

type Kind = 'refused' | 'not-found' | 'failed';

interface Failure {
  kind: Kind;
  exitCode: number;
  /** The word the text line starts with. */
  label: 'error' | 'refused' | 'not found';
  message: string;
  /** Not one of the outcomes this CLI expects: its details are logged. */
  unexpected?: boolean;
}

/** The class, exit code and message of an error a command threw. */
export function classifyFailure(e: unknown): Failure {
  const refused = (message: string, label: Failure['label'] = 'error'): Failure => ({
    kind: 'refused',
    exitCode: EXIT.refused,
    label,
    message,
  });
  const notFound = (message: string): Failure => ({
    kind: 'not-found',
    exitCode: EXIT.notFound,
    label: 'not found',
    message,
  });
  const noKey = missingKeyMessage(e);
  if (noKey) return refused(noKey);
  if (e instanceof InvalidPipelineInput) return refused(e.message);
  if (e instanceof OperatorRefusal) return refused(e.message, 'refused');
  if (
    e instanceof WorkflowScheduleNotFound ||
    e instanceof NotFound ||
    e instanceof WorkflowNotFoundError ||
    e instanceof ScheduleNotFoundError
  )
    return notFound(e.message);
  if (e instanceof ConfigError || e instanceof InvalidScheduleInput) return refused(e.message);
  // The pipeline's own outcome (GATE_REJECTED, APPROVAL_REJECTED…), or a server or worker that is not
  // there: the message says it all (and what to do), the thing asked failed.
  if (e instanceof PipelineFailed || e instanceof TemporalUnreachable || e instanceof NoWorkerPolling)
    return { kind: 'failed', exitCode: EXIT.failed, label: 'error', message: e.message };
  const remedy = temporalRemedy(e);
  // The namespace refused before anything started: a setting to fix, like a bad environment.
  if (remedy)
    return /search attribute/.test(remedy)
      ? refused(remedy)
      : { kind: 'failed', exitCode: EXIT.failed, label: 'error', message: remedy };
  return {
    kind: 'failed',
    exitCode: EXIT.failed,
    label: 'error',
    message: failureCause(e),
    unexpected: true,
  };
}

/**
 * Prints the failure as one line (stderr) and returns its exit code. An unexpected one is logged with
 * its stack to `.data/logs/starter.log`, and the line names that file.
 */
export function reportFailure(e: unknown, argv: string[], write: (line: string) => void): number {
  const failure = classifyFailure(e);
  const json = argv.includes('--json');
  let logged: string | undefined;
  if (failure.unexpected) {
    const file = logFile('starter');
    const written = appendJsonLine(file, {
      time: new Date().toISOString(),
      level: 'ERROR',
      command: redactText(argv.slice(2).join(' ')),
      message: redactText(failure.message),
      stack: redactText(String((e as Error)?.stack ?? e)),
    });
    if (written) logged = shownPath(file);
  }
  const message = redactText(failure.message);
  if (json)
    write(
      JSON.stringify({
        error: {
          kind: failure.kind,
          exitCode: failure.exitCode,
          message,
          ...(logged ? { log: logged } : {}),
        },
      }),
    );
  else
    write(
      `${failure.label}: ${failure.unexpected ? oneLine(message) : message}${logged ? ` (details: ${logged})` : ''}`,
    );
  return failure.exitCode;
}

/** An unexpected message's first line: the rest (a server's detail dump) is in the log. */
const oneLine = (text: string) => text.split('\n')[0].trim();
