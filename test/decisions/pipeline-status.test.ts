import {
  awaitingApproval,
  deployed,
  deploymentLeftRunning,
  deploymentRemoved,
  failed,
  gateJudged,
  inPhase,
  serving,
  trainingReported,
  withLeftover,
} from '../../src/decisions/pipeline-status';
import type { DeploymentSummary, PipelineStatus } from '../../src/workflows/pipeline/contract';

const T0 = '2026-12-06T10:00:00.000Z';
const T1 = '2026-12-06T10:05:00.000Z';

/** A status frozen all the way down: a transition that wrote into it would throw. */
function frozen(extra: Partial<PipelineStatus> = {}): PipelineStatus {
  const s: PipelineStatus = { phase: 'starting', provider: 'tensorone', pinned: [], updatedAt: T0, ...extra };
  for (const v of Object.values(s)) if (v && typeof v === 'object') Object.freeze(v);
  return Object.freeze(s);
}

const endpoint: DeploymentSummary = {
  target: 'tensorone-endpoint',
  id: 'ep_1',
  status: 'deploying',
  url: 'https://x/ep_1',
};

describe('pipeline status transitions', () => {
  it('a phase is entered with its time; nothing else changes and the given status is left as it was', () => {
    const before = frozen({ jobId: 'job_1' });
    const next = inPhase(before, 'deploying', T1);
    expect(next).toEqual({ ...before, phase: 'deploying', updatedAt: T1 });
    expect(before.phase).toBe('starting');
  });

  it('a progress report without a time keeps the last update time; with one it moves it', () => {
    const progress = { currentEpoch: 2, totalEpochs: 5 } as unknown as NonNullable<
      PipelineStatus['training']
    >;
    expect(trainingReported(frozen(), progress)).toMatchObject({ training: progress, updatedAt: T0 });
    expect(trainingReported(frozen(), progress, T1)).toMatchObject({ training: progress, updatedAt: T1 });
  });

  it('awaiting approval until a time; the answer ends the wait, a plain verdict does not', () => {
    const waiting = awaitingApproval(frozen(), T1);
    expect(waiting.awaitingApprovalUntil).toBe(T1);
    expect(gateJudged(frozen(waiting), { passed: true, reasons: [] }).awaitingApprovalUntil).toBe(T1);
    const answered = gateJudged(frozen(waiting), { passed: false, reasons: ['rejected by ops'] }, true);
    expect(answered.awaitingApprovalUntil).toBeUndefined();
    expect(answered.gate).toEqual({ passed: false, reasons: ['rejected by ops'] });
  });

  it('a status read keeps what the create said and the read does not; a create replaces the deployment', () => {
    const created = frozen({ deployment: { ...endpoint, name: 'run--deploy' } });
    const read = deployed(
      created,
      { target: 'tensorone-endpoint', id: 'ep_1', status: 'active', url: undefined },
      true,
    );
    expect(read.deployment).toEqual({
      target: 'tensorone-endpoint',
      id: 'ep_1',
      status: 'active',
      url: undefined,
      name: 'run--deploy',
    });
    expect(deployed(created, endpoint).deployment).toEqual(endpoint);
  });

  it('serving marks the deployment active; with no deployment yet there is nothing to mark', () => {
    expect(serving(frozen({ deployment: endpoint })).deployment).toEqual({ ...endpoint, status: 'active' });
    const none = frozen();
    expect(serving(none)).toBe(none);
  });

  it('a removed deployment is listed among the undone leftovers only by a run that owns it, once', () => {
    expect(deploymentRemoved(frozen(), endpoint, false)).toEqual({
      ...frozen(),
      deployment: { ...endpoint, status: 'removed' },
    });
    const owned = deploymentRemoved(frozen(), endpoint, true);
    expect(owned.removedDeployments).toEqual(['ep_1']);
    expect(deploymentRemoved(frozen(owned), endpoint, true).removedDeployments).toEqual(['ep_1']);
  });

  it('a deployment left running says what to do by hand', () => {
    expect(deploymentLeftRunning(frozen(), endpoint, 'remove ep_1 by hand').deployment).toEqual({
      ...endpoint,
      status: 'left-running',
      removeByHand: 'remove ep_1 by hand',
    });
  });

  it('a failure puts its cause first and keeps an earlier note after it; an empty earlier note adds nothing', () => {
    expect(failed(frozen(), 'gate rejected').failure).toBe('gate rejected');
    expect(failed(frozen({ failure: '' }), 'gate rejected').failure).toBe('gate rejected');
    expect(failed(frozen({ failure: 'could not stop job_1' }), 'gate rejected').failure).toBe(
      'gate rejected; could not stop job_1',
    );
  });

  it('a leftover is added once: to an empty list, to a second place, never twice', () => {
    const one = withLeftover(frozen(), 'stoppedJobs', 'job_1');
    expect(one.stoppedJobs).toEqual(['job_1']);
    const two = withLeftover(frozen(one), 'stoppedJobs', 'job_2');
    expect(two.stoppedJobs).toEqual(['job_1', 'job_2']);
    const again = frozen(two);
    expect(withLeftover(again, 'stoppedJobs', 'job_1')).toBe(again);
    expect(withLeftover(frozen(two), 'duplicateJobs', 'job_1').duplicateJobs).toEqual(['job_1']);
  });
});
