import { approvalReason, decisionOnTimeout, rejection } from '../../src/decisions/approval';
import {
  deployPollInterval,
  MAX_DEPLOY_POLL_MS,
  nextDeployLookIn,
  smokeTestPassed,
} from '../../src/decisions/deploy';
import { nextGpuType, offeredGpuTypes } from '../../src/decisions/supervision';
import type { ProviderFailureDetails } from '../../src/activities/failures';

describe('how often a deployment is asked whether it serves', () => {
  it('looks about sixty times over the deploy timeout', () => {
    expect(deployPollInterval(10 * 60_000, 1000)).toBe(10_000);
    expect(deployPollInterval(60_000, 100)).toBe(1000);
  });
  it('never looks closer than the minimum interval', () => {
    expect(deployPollInterval(60_000, 5000)).toBe(5000);
    expect(deployPollInterval(6000, 100)).toBe(100);
  });
  it('never waits longer than 15 s, even when the minimum interval is longer (the cap wins)', () => {
    expect(MAX_DEPLOY_POLL_MS).toBe(15_000);
    expect(deployPollInterval(24 * 3_600_000, 1000)).toBe(15_000);
    expect(deployPollInterval(10 * 60_000, 30_000)).toBe(15_000);
  });
  it('is exactly the cap when a sixtieth of the timeout is the cap', () => {
    expect(deployPollInterval(15 * 60_000, 1000)).toBe(15_000);
    expect(deployPollInterval(15 * 60_000 - 60, 1000)).toBe(14_999);
  });
});

describe('the wait before the next look at a deployment', () => {
  it('is the poll interval while more time is left', () => {
    expect(nextDeployLookIn(10_000, 60_000)).toBe(10_000);
    expect(nextDeployLookIn(10_000, 10_000)).toBe(10_000);
  });
  it('shortens to the time left before the deadline', () => {
    expect(nextDeployLookIn(10_000, 4000)).toBe(4000);
  });
  it('is at least 1 s, also when the deadline has passed', () => {
    expect(nextDeployLookIn(10_000, 999)).toBe(1000);
    expect(nextDeployLookIn(10_000, 0)).toBe(1000);
    expect(nextDeployLookIn(10_000, -5000)).toBe(1000);
  });
});

describe('the verdict on an endpoint’s smoke test', () => {
  it.each(['COMPLETED', 'completed', 'Success', 'OK', 'ok'])('passes status %s', (status) => {
    expect(smokeTestPassed(status)).toBe(true);
  });
  it('passes an answer without a status', () => {
    expect(smokeTestPassed(undefined)).toBe(true);
    expect(smokeTestPassed('')).toBe(true);
  });
  it.each(['FAILED', 'IN_QUEUE', 'NOT OK', 'OKAY', ' COMPLETED', 'COMPLETED\n'])(
    'fails status %j',
    (status) => {
      expect(smokeTestPassed(status)).toBe(false);
    },
  );
});

describe('an approval’s outcome as the gate reports it', () => {
  it('on timeout holds what the policy says, naming the timeout', () => {
    expect(decisionOnTimeout({ timeout: '1h', onTimeout: 'approve' })).toEqual({
      approved: true,
      reason: 'no decision within 1h',
    });
    expect(decisionOnTimeout({ timeout: '24h', onTimeout: 'reject' })).toEqual({
      approved: false,
      reason: 'no decision within 24h',
    });
  });
  it('names who decided and why, each only when given', () => {
    expect(approvalReason({ approved: true, by: 'ana', reason: 'looks good' })).toBe(
      'approved by ana: looks good',
    );
    expect(approvalReason({ approved: false, by: 'ana' })).toBe('rejected by ana');
    expect(approvalReason({ approved: false, reason: 'no decision within 1h' })).toBe(
      'rejected: no decision within 1h',
    );
    expect(approvalReason({ approved: true })).toBe('approved');
    expect(approvalReason({ approved: true, by: '', reason: '' })).toBe('approved');
  });
  it('tells an operator’s rejection from a timeout’s by the failure type', () => {
    expect(rejection('ck-1', { approved: false, reason: 'worse on evals' }, true)).toEqual({
      message: 'deployment of ck-1 rejected: worse on evals',
      type: 'APPROVAL_REJECTED',
    });
    expect(rejection('ck-1', { approved: false, reason: 'no decision within 1h' }, false)).toEqual({
      message: 'deployment of ck-1 rejected: no decision within 1h',
      type: 'APPROVAL_TIMED_OUT',
    });
    expect(rejection('ck-1', { approved: false }, true).message).toBe('deployment of ck-1 rejected');
  });
});

describe('the GPU types an INSUFFICIENT_RESOURCES failure offers', () => {
  const failure = (details: Record<string, unknown>): ProviderFailureDetails => ({
    provider: 'tensorone',
    route: 'POST /training/jobs',
    status: 409,
    code: 'INSUFFICIENT_RESOURCES',
    details,
  });
  it('reads them from the failure details', () => {
    expect(offeredGpuTypes(failure({ availableGpuTypes: ['a100', 'v100'] }))).toEqual(['a100', 'v100']);
  });
  it('reads every entry as text', () => {
    expect(offeredGpuTypes(failure({ availableGpuTypes: ['a100', 40] }))).toEqual(['a100', '40']);
  });
  it('an empty list means none is offered: no GPU type is tried next', () => {
    const offered = offeredGpuTypes(failure({ availableGpuTypes: [] }));
    expect(offered).toEqual([]);
    expect(nextGpuType(['h100', 'a100'], ['h100'], offered)).toBeUndefined();
  });
  it('says nothing when the failure does not list them', () => {
    expect(offeredGpuTypes(failure({}))).toBeUndefined();
    expect(offeredGpuTypes(failure({ availableGpuTypes: 'a100' }))).toBeUndefined();
    expect(offeredGpuTypes(undefined)).toBeUndefined();
    expect(offeredGpuTypes(null)).toBeUndefined();
  });
});
