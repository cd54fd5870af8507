import { ApplicationFailure } from '@temporalio/common';
import { isAbsent, type CapabilityAbsent } from '../providers/http/capabilities';
import { ProviderError } from '../providers/http/provider-error';
import { redactText } from '../providers/http/redact';

/**
 * Provider codes that the documents name: a retry cannot fix them, so they are non-retryable whatever
 * HTTP status carried them. A workflow reads the code from the failure's `type`.
 */
export const DOCUMENTED_CODES = [
  'CONFIGURATION_ERROR',
  'DATASET_NOT_FOUND',
  'INSUFFICIENT_RESOURCES',
  'MODEL_NOT_FOUND',
  'MODEL_TOO_LARGE',
  'DEPLOYMENT_FAILED',
] as const;

const NON_RETRYABLE_STATUS = new Set([400, 401, 403, 404, 409, 422]);

export function isRetryable(err: ProviderError): boolean {
  if ((DOCUMENTED_CODES as readonly string[]).includes(err.code) || err.kind === 'malformed') return false;
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
 * failures are retryable, and a `Retry-After` becomes the next retry's delay.
 */
export function toTemporalFailure(err: ProviderError): ApplicationFailure {
  const retryable = isRetryable(err);
  const details: ProviderFailureDetails = {
    provider: err.provider,
    route: err.route,
    status: err.status,
    code: err.code,
    details: err.details,
    requestId: err.requestId,
  };
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !retryable,
    details: [details],
    nextRetryDelay: retryable && err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 1) : undefined,
  });
}

/** Answers that say "this is wrong" rather than "not yet": a deployment that is still starting never gives them. */
const NEVER_NOT_YET_STATUS = new Set([400, 401, 403, 422]);

/**
 * While waiting for a deployment to serve through its own inference URL (no status route), an answer
 * that is not a success usually means "not serving yet" (409 not ready, 404 not routed yet, 503 …):
 * retryable, so the server asks again until the deploy timeout. Bad requests, auth failures and the
 * documented codes stay non-retryable.
 */
export function toNotServingYetFailure(err: ProviderError): ApplicationFailure {
  const failure = toTemporalFailure(err);
  const documented = (DOCUMENTED_CODES as readonly string[]).includes(err.code);
  if (err.kind !== 'http' || documented || NEVER_NOT_YET_STATUS.has(err.status ?? 0)) return failure;
  return ApplicationFailure.create({
    type: 'NOT_SERVING_YET',
    message: `not serving yet: ${err.message}`,
    nonRetryable: false,
    details: failure.details ?? undefined,
    nextRetryDelay: err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 1) : undefined,
  });
}

/**
 * Runs one provider call and classifies what it throws. Other errors are bugs: scrubbed and rethrown.
 * `untilServing`: the call probes a deployment that may still be starting (see toNotServingYetFailure).
 */
export async function classified<T>(
  call: () => Promise<T>,
  options: { untilServing?: boolean } = {},
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError)
      throw options.untilServing ? toNotServingYetFailure(err) : toTemporalFailure(err);
    if (err instanceof ApplicationFailure) throw err;
    const e = err as Error;
    const scrubbed = new Error(redactText(e?.message ?? String(err)));
    scrubbed.name = e?.name ?? 'Error';
    throw scrubbed;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ProviderError && err.status === 404;
}

export interface DeleteOutcome {
  deleted: boolean;
  alreadyGone: boolean;
}

/**
 * A delete whose target is already gone succeeded earlier (its answer was lost, or someone else did it).
 * A delete route the provider does not have answers `CapabilityAbsent`: nothing was removed.
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
      if (isNotFound(err)) return { deleted: true, alreadyGone: true };
      throw err;
    }
  });
}
