import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { describeMismatches, type TraitMismatch } from '../decisions/adoption';
import { isAbsent, type CapabilityAbsent } from '../providers/http/capabilities';
import { ProviderError } from '../providers/http/provider-error';
import { redactText } from '../providers/http/redact';

/**
 * Provider codes that the documents name: a retry cannot fix them, so they are non-retryable whatever
 * HTTP status carried them. A workflow reads the code from the failure's `type`.
 */
const DOCUMENTED_CODES = [
  'CONFIGURATION_ERROR',
  'DATASET_NOT_FOUND',
  'INSUFFICIENT_RESOURCES',
  'MODEL_NOT_FOUND',
  'MODEL_TOO_LARGE',
  'DEPLOYMENT_FAILED',
] as const;

const NON_RETRYABLE_STATUS = new Set([400, 401, 403, 404, 409, 422]);

/**
 * Tries of a call whose answer is malformed (a body that fails its schema, a gateway's HTML page with
 * 200) before it fails. Such a page is usually gone at the next try, so a few tries cure it; an answer
 * that stays malformed is a change of the provider's API that no retry cures, so it fails soon: after
 * 1+2+4+8 s of backoff for provider calls, 2+4+8+16 s for polls, and four more looks (at most the
 * freshness apart) for the job watch — where a 5xx is retried for 30 minutes (6 hours for the watch).
 * Five, not three: were one answer in five odd (the chaos suite's fault rates), three in a row would
 * fail a healthy call once in 125, five once in 3,125.
 */
export const MALFORMED_TRIES = 5;

/**
 * `tries`: which try of this call this was (1 for the first), by default the activity's attempt; the job
 * watch, whose attempts are its looks, passes the looks that failed in a row.
 */
export function isRetryable(err: ProviderError, tries = 1): boolean {
  if ((DOCUMENTED_CODES as readonly string[]).includes(err.code)) return false;
  if (err.kind === 'malformed') return tries < MALFORMED_TRIES;
  if (err.kind === 'network') return true;
  const status = err.status ?? 0;
  if (NON_RETRYABLE_STATUS.has(status)) return false;
  return status === 408 || status === 429 || status >= 500;
}

/** What a workflow finds in `failure.details[0]`; never a key, header or signed URL. */
export interface ProviderFailureDetails {
  provider: string;
  route: string;
  status?: number;
  code: string;
  details: Record<string, unknown>;
  requestId?: string;
}

/**
 * THE place where a provider failure becomes a Temporal failure: documented codes and
 * 400/401/403/404/409/422 are non-retryable with `type` = the provider's code; 408/429/5xx and network
 * failures are retryable, and a `Retry-After` becomes the next retry's delay; a malformed answer is
 * retryable for its first `MALFORMED_TRIES - 1` tries, then non-retryable.
 */
export function toTemporalFailure(err: ProviderError, tries = 1): ApplicationFailure {
  const retryable = isRetryable(err, tries);
  const details: ProviderFailureDetails = {
    provider: err.provider,
    route: err.route,
    status: err.status,
    code: err.code,
    details: err.details,
    requestId: err.requestId,
  };
  const gaveUp = err.kind === 'malformed' && !retryable;
  return ApplicationFailure.create({
    type: err.code,
    message: gaveUp ? `${err.message} (still malformed at try ${tries}; no more tries)` : err.message,
    nonRetryable: !retryable,
    details: [details],
    nextRetryDelay: retryable && err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 1) : undefined,
  });
}

/** Answers that say "this is wrong" rather than "not yet": a deployment that is still starting never gives them. */
const NEVER_NOT_YET_STATUS = new Set([400, 401, 403, 422]);

/** The provider says the request or the account is wrong (a documented code, 400/401/403/422): never the endpoint's state. */
function refusesTheRequest(err: ProviderError): boolean {
  return (
    (DOCUMENTED_CODES as readonly string[]).includes(err.code) ||
    (err.kind === 'http' && NEVER_NOT_YET_STATUS.has(err.status ?? 0))
  );
}

/**
 * While waiting for a deployment to serve through its own inference URL (no status route), an answer
 * that is not a success usually means "not serving yet" (409 not ready, 404 not routed yet, 503 …):
 * retryable, so the server asks again until the deploy timeout. Bad requests, auth failures and the
 * documented codes stay non-retryable.
 */
export function toNotServingYetFailure(err: ProviderError, tries = 1): ApplicationFailure {
  const failure = toTemporalFailure(err, tries);
  if (err.kind !== 'http' || refusesTheRequest(err)) return failure;
  return ApplicationFailure.create({
    type: 'NOT_SERVING_YET',
    message: `not serving yet: ${err.message}`,
    nonRetryable: false,
    details: failure.details ?? undefined,
    nextRetryDelay: err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 1) : undefined,
  });
}

/**
 * A probe request's failure that speaks about the endpoint (a 5xx, a reset, "not ready", "gone", an odd
 * answer) counts against it. One that says the request or the account is wrong (400, 401, 403, 422, a
 * documented code) or asks everyone to wait (429) would blame the model for the operator's sample input
 * or the provider's limit: it ends the probe attempt instead, classified as any other call.
 */
export function countsAgainstEndpoint(err: ProviderError): boolean {
  return !refusesTheRequest(err) && !(err.kind === 'http' && err.status === 429);
}

/**
 * Runs one provider call and classifies what it throws. Other errors are bugs: scrubbed and rethrown.
 * `tries`: see `isRetryable`; by default the attempt of the activity this runs in. `untilServing`: the
 * call probes a deployment that may still be starting (see toNotServingYetFailure).
 */
export async function classified<T>(
  call: () => Promise<T>,
  options: { tries?: number; untilServing?: boolean } = {},
): Promise<T> {
  const tries = options.tries ?? activityAttempt();
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError)
      throw options.untilServing ? toNotServingYetFailure(err, tries) : toTemporalFailure(err, tries);
    if (err instanceof ApplicationFailure)
      throw options.tries === undefined ? err : withCallersTries(err, options.tries);
    const e = err as Error;
    const scrubbed = new Error(redactText(e?.message ?? String(err)));
    scrubbed.name = e?.name ?? 'Error';
    throw scrubbed;
  }
}

/**
 * A malformed answer classified by another activity's single try (a read workflow's, the fleet's sweep
 * of the job list) counts as a try of the calling watch: at its `MALFORMED_TRIES`th failed look in a row
 * it is no longer retried, as the watch's own read would not be.
 */
function withCallersTries(failure: ApplicationFailure, tries: number): ApplicationFailure {
  if (failure.type !== 'MALFORMED_RESPONSE' || failure.nonRetryable || tries < MALFORMED_TRIES)
    return failure;
  return ApplicationFailure.create({
    type: failure.type,
    message: `${failure.message} (still malformed at try ${tries}; no more tries)`,
    nonRetryable: true,
    details: failure.details ?? undefined,
  });
}

function isNotFound(err: unknown): boolean {
  return err instanceof ProviderError && err.status === 404;
}

export interface DeleteOutcome {
  deleted: boolean;
  /** Gone before this activity asked: someone else deleted it (0 bytes to this run). */
  alreadyGone: boolean;
  /**
   * A retried attempt was answered 404: an earlier attempt of this activity asked, and its answer was
   * lost. Counted as this run's deletion (a hand deletion in between cannot be told apart).
   */
  answerLost?: boolean;
}

/**
 * A delete whose target is already gone succeeded earlier: on a first attempt someone else did it
 * (`alreadyGone`); on a retried attempt this activity's earlier ask did, and its answer was lost
 * (`answerLost`). A delete route the provider does not have answers `CapabilityAbsent`: nothing was
 * removed.
 */
export async function deleteIdempotently(remove: () => Promise<void>): Promise<DeleteOutcome>;
export async function deleteIdempotently(
  remove: () => Promise<void | CapabilityAbsent>,
): Promise<DeleteOutcome | CapabilityAbsent>;
export async function deleteIdempotently(
  remove: () => Promise<void | CapabilityAbsent>,
): Promise<DeleteOutcome | CapabilityAbsent> {
  return classified(async () => {
    try {
      const answer = await remove();
      if (isAbsent(answer)) return answer;
      return { deleted: true, alreadyGone: false };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return activityAttempt() > 1
        ? { deleted: true, alreadyGone: false, answerLost: true }
        : { deleted: true, alreadyGone: true };
    }
  });
}

function activityAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1; // not inside an activity
  }
}

/** A resource found under this run's name that was not made from what the run asks: never adopted. */
export function adoptionRefused(
  kind: string,
  id: string,
  name: string,
  mismatches: TraitMismatch[],
): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${kind} ${id} named ${name} was not made from what this run asks (${describeMismatches(mismatches)}); not adopting it`,
    'ADOPTION_MISMATCH',
    { kind, id, name, mismatches },
  );
}

/**
 * A batch that failed after making progress in this attempt: its retry resumes from the heartbeat, so
 * it is asked again soon (1 s, or the provider's `Retry-After`) rather than after a backoff that has
 * grown with every earlier attempt of the batch — each of which also made progress.
 */
export function afterProgress(err: unknown): unknown {
  if (!(err instanceof ApplicationFailure) || err.nonRetryable || err.nextRetryDelay !== undefined)
    return err;
  return ApplicationFailure.create({
    type: err.type ?? undefined,
    message: err.message,
    nonRetryable: false,
    details: err.details ?? undefined,
    nextRetryDelay: 1000,
  });
}
