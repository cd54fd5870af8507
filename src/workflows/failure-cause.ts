import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/** The application failure behind a failure (itself, or an activity's or child's cause), if any. */
export function applicationCause(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (
    (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) &&
    err.cause instanceof ApplicationFailure
  )
    return err.cause;
  return undefined;
}

/** One line for a failure: `TYPE: message` of its application cause, looking through a child's failure. */
export function describeFailure(err: unknown): string {
  const app = applicationCause(err);
  if (app) return `${app.type ?? 'Error'}: ${app.message}`;
  if (err instanceof ChildWorkflowFailure && err.cause) return describeFailure(err.cause);
  return err instanceof Error ? err.message : String(err);
}
