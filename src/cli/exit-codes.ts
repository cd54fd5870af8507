/**
 * The one exit-code table of every command (docs/cli.md): scripts can tell a refusal from a failure
 * and from something that is not there.
 */
export const EXIT = {
  /** What was asked is done (or, for a read, shown). */
  done: 0,
  /** What was asked failed: a pipeline that did not deploy, a server or provider error. */
  failed: 1,
  /** Refused, changing nothing: invalid input or usage, an operator command the pipeline turned down. */
  refused: 2,
  /** The pipeline, schedule or slot named is not there. */
  notFound: 3,
} as const;

/** Something the command names does not exist (exit 3); the message says what to do instead. */
export class NotFound extends Error {
  override name = 'NotFound';
}
