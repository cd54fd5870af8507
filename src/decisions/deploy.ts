/** The longest gap between two looks at a deployment that is not serving yet. */
export const MAX_DEPLOY_POLL_MS = 15_000;

/**
 * How often a deployment is asked whether it serves: about sixty looks over the deploy timeout, no
 * closer than the supervision's minimum interval — except that a look is never more than 15 s away
 * (the cap wins over a longer minimum interval), so a deployment that serves is noticed within 15 s.
 */
export function deployPollInterval(timeoutMs: number, minIntervalMs: number): number {
  return Math.min(MAX_DEPLOY_POLL_MS, Math.max(minIntervalMs, timeoutMs / 60));
}

/** The wait before the next look: the poll interval, shortened to the time left, but at least 1 s. */
export function nextDeployLookIn(pollMs: number, msLeft: number): number {
  return Math.min(pollMs, Math.max(1000, msLeft));
}

const SMOKE_TEST_PASSED = /^(COMPLETED|SUCCESS|OK)$/i;

/** An endpoint's smoke-test answer: no status, or a completed one (any case), passes. */
export function smokeTestPassed(status: string | undefined): boolean {
  return !status || SMOKE_TEST_PASSED.test(status);
}
