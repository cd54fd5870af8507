import { ApplicationFailure } from '@temporalio/common';
import { describeMismatches, type TraitMismatch } from '../decisions/adoption';
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

/** Runs one provider call and classifies what it throws. Other errors are bugs: scrubbed and rethrown. */
export async function classified<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError) throw toTemporalFailure(err);
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

/** A delete whose target is already gone succeeded earlier (its answer was lost, or someone else did it). */
export async function deleteIdempotently(remove: () => Promise<void>): Promise<DeleteOutcome> {
  return classified(async () => {
    try {
      await remove();
      return { deleted: true, alreadyGone: false };
    } catch (err) {
      if (isNotFound(err)) return { deleted: true, alreadyGone: true };
      throw err;
    }
  });
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
