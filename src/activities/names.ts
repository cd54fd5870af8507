import { createHash } from 'node:crypto';

/**
 * The deterministic name an activity gives what it creates, derived from the workflow run (or, for
 * workflows started before runs named their resources, the workflow id) and the step, so a retry after
 * a crash or a lost response finds what the earlier attempt created — and a rerun does not.
 * Fits TensorOne's 1-100 character limit; long bases keep a hash suffix of the whole.
 */
export function resourceName(basis: string, step: string): string {
  const base = `${basis}--${step}`.replace(/[^A-Za-z0-9._-]+/g, '-');
  if (base.length <= 100) return base;
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 10);
  return `${base.slice(0, 89)}-${hash}`;
}
