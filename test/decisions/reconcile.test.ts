import {
  parseRunOwnedName,
  reconcileInputProblem,
  reconcileVerdict,
  runMatches,
  type OwnedResource,
  type OwnerState,
  type VerdictInput,
} from '../../src/decisions/reconcile';

const HOUR = 3_600_000;
const now = Date.parse('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

const job: OwnedResource = {
  kind: 'training-job',
  provider: 'tensorone',
  id: 'job_1',
  name: 'pipeline-demo--r0123456789ab--train-a100',
  status: 'running',
  createdAt: ago(5 * HOUR),
};
const endpoint: OwnedResource = {
  kind: 'endpoint',
  provider: 'tensorone',
  id: 'ep_1',
  name: 'pipeline-demo--r0123456789ab--deploy',
  status: 'active',
  createdAt: ago(5 * HOUR),
};
const closed = (msAgo: number): OwnerState => ({
  state: 'closed',
  status: 'TERMINATED',
  closedAt: ago(msAgo),
});
const verdict = (over: Partial<VerdictInput>) =>
  reconcileVerdict({
    resource: job,
    owner: closed(2 * HOUR),
    nowMs: now,
    graceMs: HOUR,
    removable: true,
    ...over,
  });

describe('the naming convention', () => {
  it('reads the owner of a run-owned job, deployment and retried served-model name', () => {
    expect(parseRunOwnedName('pipeline-demo--r0123456789ab--train-a100')).toEqual({
      workflowId: 'pipeline-demo',
      runPrefix: '0123456789ab',
      step: 'train-a100',
    });
    expect(parseRunOwnedName('pipeline-a-b--rabcdefabcdef--deploy')?.workflowId).toBe('pipeline-a-b');
    expect(parseRunOwnedName('pipeline-demo--r0123456789ab--deploy-a2')?.step).toBe('deploy-a2');
  });

  it.each([
    ['one hex digit short', 'pipeline-demo--r0123456789a--train-a100'],
    ['one hex digit long', 'pipeline-demo--r0123456789abc--train-a100'],
    ['upper-case run', 'pipeline-demo--r0123456789AB--deploy'],
    ['no pipeline- prefix', 'pipelinedemo--r0123456789ab--deploy'],
    ['another prefix before it', 'my-pipeline-demo--r0123456789ab--deploy'],
    ['single dashes', 'pipeline-demo-r0123456789ab-deploy'],
    ['a step no pipeline makes', 'pipeline-demo--r0123456789ab--deployed'],
    ['a suffix after deploy', 'pipeline-demo--r0123456789ab--deploy-copy'],
    ['named after the workflow id only (no run)', 'pipeline-demo--train-a100'],
    ['upper-case pipeline name', 'pipeline-Demo--r0123456789ab--deploy'],
    ['empty', ''],
  ])('a name that almost matches is not ours: %s', (_what, name) => {
    expect(parseRunOwnedName(name)).toBeUndefined();
  });

  it('matches a run id with or without dashes by its first 12 hex digits', () => {
    expect(runMatches('01234567-89ab-cdef-0123-456789abcdef', '0123456789ab')).toBe(true);
    expect(runMatches('0123456789abcdef', '0123456789ab')).toBe(true);
    expect(runMatches('01234567-89ac-cdef-0123-456789abcdef', '0123456789ab')).toBe(false);
  });
});

describe('what to do with a run-owned resource', () => {
  it('an owner closed exactly the grace ago is past it; a millisecond less is within', () => {
    expect(verdict({ owner: closed(HOUR) }).action).toBe('stop');
    const within = verdict({ owner: closed(HOUR - 1) });
    expect(within.action).toBe('keep');
    expect(within.reason).toMatch(/within the grace/);
  });

  it('an absent owner is measured from the resource creation, at the same boundary', () => {
    expect(verdict({ owner: { state: 'absent' }, resource: { ...job, createdAt: ago(HOUR) } }).action).toBe(
      'stop',
    );
    expect(
      verdict({ owner: { state: 'absent' }, resource: { ...job, createdAt: ago(HOUR - 1) } }).action,
    ).toBe('keep');
  });

  it('keeps what it cannot measure: an absent owner and no creation time, a closed owner without a close time', () => {
    const noAge = verdict({ owner: { state: 'absent' }, resource: { ...job, createdAt: undefined } });
    expect(noAge).toEqual({
      action: 'keep',
      reason: expect.stringMatching(/how old the resource is is unknown/),
    });
    expect(verdict({ owner: { state: 'closed', status: 'TERMINATED' } }).action).toBe('keep');
    expect(
      verdict({ owner: { state: 'absent' }, resource: { ...job, createdAt: 'yesterday-ish' } }).action,
    ).toBe('keep');
    expect(verdict({ graceMs: NaN }).action).toBe('keep');
  });

  it('never touches what a running owner holds, however old', () => {
    const v = verdict({ owner: { state: 'running' }, resource: { ...job, createdAt: ago(100 * HOUR) } });
    expect(v).toEqual({ action: 'keep', reason: 'its owner is running' });
  });

  it('keeps a resource whose owner cannot be determined, and says why', () => {
    const v = verdict({ owner: { state: 'unknown', reason: 'visibility unavailable' } });
    expect(v).toEqual({ action: 'keep', reason: 'its owner cannot be determined (visibility unavailable)' });
  });

  it('never removes a deployment a serving slot serves, nor any when the slots cannot be read', () => {
    expect(verdict({ resource: endpoint, servedBy: 'demo' })).toEqual({
      action: 'keep',
      reason: 'serving slot demo serves it',
    });
    expect(verdict({ resource: endpoint, slotUnreadable: true }).action).toBe('keep');
    expect(verdict({ resource: endpoint }).action).toBe('remove');
  });

  it('reports a deployment for removal by hand where no route removes it', () => {
    const v = verdict({ resource: endpoint, removable: false });
    expect(v.action).toBe('remove-by-hand');
    expect(v.reason).toMatch(/no route to remove it/);
  });

  it('leaves a job that already ended and a deployment already removed', () => {
    expect(verdict({ resource: { ...job, status: 'completed' } }).action).toBe('keep');
    expect(verdict({ resource: { ...job, status: 'stopped' } }).action).toBe('keep');
    expect(verdict({ resource: { ...job, status: 'queued' } }).action).toBe('stop');
    expect(verdict({ resource: { ...endpoint, status: 'deleted' } }).action).toBe('keep');
    expect(verdict({ resource: { ...endpoint, status: 'failed' } }).action).toBe('remove');
  });
});

describe('the reconciler input', () => {
  it('refuses a grace below a minute or not a number, naming the field', () => {
    expect(reconcileInputProblem({ dryRun: true, graceMs: 60_000 })).toBeUndefined();
    expect(reconcileInputProblem({ dryRun: true, graceMs: 59_999 })).toMatch(/^graceMs/);
    expect(reconcileInputProblem({ dryRun: false, graceMs: NaN })).toMatch(/^graceMs/);
  });
});
