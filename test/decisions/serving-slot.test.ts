import { championBaseline, evaluateGate } from '../../src/decisions/gate';
import {
  drainEnded,
  emptySlot,
  formerDeploymentRefusal,
  nextRetirementMs,
  promote,
  promoteRefusal,
  retired,
  rollback,
  rollbackRefusal,
  SLOT_HISTORY_LIMIT,
  slotCheckpoints,
  type PromoteRequest,
  type SlotState,
} from '../../src/decisions/serving-slot';

const T0 = Date.parse('2026-11-26T10:00:00Z');
const MIN = 60_000;

function request(n: number, retireAfterMs = 10 * MIN): PromoteRequest {
  return {
    deployment: {
      target: 'tensorone-endpoint',
      deploymentId: `ep_${n}`,
      checkpointId: `ckpt_${n}`,
      jobId: `job_${n}`,
      workflowId: 'pipeline-demo',
      runId: `run_${n}`,
      metric: { name: 'validationLoss', value: 1 / n },
    },
    retireAfterMs,
  };
}

/** Promotes runs 1..n, one minute apart. */
function promoted(n: number, retireAfterMs = 10 * MIN): SlotState {
  let s = emptySlot('demo');
  for (let i = 1; i <= n; i++) s = promote(s, request(i, retireAfterMs), T0 + (i - 1) * MIN).state;
  return s;
}

describe('promotion', () => {
  it('the first promotion makes the champion; nothing drains', () => {
    const { state, answer } = promote(emptySlot('demo'), request(1), T0);
    expect(state.champion?.deploymentId).toBe('ep_1');
    expect(state.champion?.since).toBe(new Date(T0).toISOString());
    expect(answer.previous).toBeUndefined();
    expect(state.draining).toEqual([]);
    expect(nextRetirementMs(state)).toBeUndefined();
  });

  it('the second drains the first until retireAfter has passed', () => {
    const s = promoted(2);
    expect(s.champion?.deploymentId).toBe('ep_2');
    expect(s.draining.map((d) => [d.deploymentId, d.retireAt])).toEqual([
      ['ep_1', new Date(T0 + MIN + 10 * MIN).toISOString()],
    ]);
    expect(nextRetirementMs(s)).toBe(T0 + 11 * MIN);
  });

  it('a third promotion retires the one still draining at once: only the newest former champion can come back', () => {
    const s = promoted(3);
    expect(s.champion?.deploymentId).toBe('ep_3');
    expect(s.draining.map((d) => d.deploymentId)).toEqual(['ep_2']);
    expect(s.retiring.map((d) => d.deploymentId)).toEqual(['ep_1']);
    expect(s.retiring[0]).not.toHaveProperty('retireAt');
  });

  it('a retried promotion of the champion changes nothing and is answered the same', () => {
    const s = promoted(2);
    const again = promote(s, request(2), T0 + 5 * MIN);
    expect(again.state).toBe(s);
    expect(again.answer.alreadyPromoted).toBe(true);
    expect(again.answer.champion.deploymentId).toBe('ep_2');
    expect(again.answer.previous?.deploymentId).toBe('ep_1');
  });

  it('refuses a retired deployment, a missing run, and a negative or NaN drain; allows a drain of 0', () => {
    let s = drainEnded(promoted(2, 0), T0 + MIN);
    s = retired(s, 'ep_1', 'removed', T0 + MIN);
    expect(promoteRefusal(s, request(1))).toMatch(/ep_1 was retired already/);
    const noRun = request(4);
    noRun.deployment.runId = '';
    expect(promoteRefusal(s, noRun)).toMatch(/pipeline run/);
    expect(promoteRefusal(s, request(4, -1))).toMatch(/retireAfterMs/);
    expect(promoteRefusal(s, request(4, Number.NaN))).toMatch(/retireAfterMs/);
    expect(promoteRefusal(s, request(4, 0))).toBeUndefined();
  });
});

describe('drain and retirement', () => {
  it('a drain ends exactly at retireAt, not a millisecond before', () => {
    const s = promoted(2);
    const at = T0 + 11 * MIN;
    expect(drainEnded(s, at - 1)).toBe(s);
    const ended = drainEnded(s, at);
    expect(ended.draining).toEqual([]);
    expect(ended.retiring.map((d) => d.deploymentId)).toEqual(['ep_1']);
  });

  it('a retirement is recorded with its outcome; an unknown id changes nothing', () => {
    const s = drainEnded(promoted(2), T0 + 11 * MIN);
    const done = retired(s, 'ep_1', 'remove-by-hand', T0 + 12 * MIN, 'no DELETE route');
    expect(done.retiring).toEqual([]);
    expect(done.retired).toEqual([
      expect.objectContaining({ deploymentId: 'ep_1', outcome: 'remove-by-hand', note: 'no DELETE route' }),
    ]);
    expect(done.history.at(-1)).toEqual(
      expect.objectContaining({
        kind: 'retired',
        deploymentId: 'ep_1',
        detail: 'remove-by-hand: no DELETE route',
      }),
    );
    expect(retired(done, 'ep_9', 'removed', T0)).toBe(done);
  });

  it('the history keeps the newest events only', () => {
    const s = promoted(SLOT_HISTORY_LIMIT + 5, 0);
    expect(s.history).toHaveLength(SLOT_HISTORY_LIMIT);
    expect(s.history.at(-1)?.deploymentId).toBe(`ep_${SLOT_HISTORY_LIMIT + 5}`);
  });
});

describe('rollback', () => {
  it('puts the draining deployment back and retires the champion it replaces', () => {
    const s = promoted(2);
    expect(rollbackRefusal(s)).toBeUndefined();
    const { state, answer } = rollback(s, T0 + 5 * MIN, 'alice', 'p95 doubled');
    expect(state.champion?.deploymentId).toBe('ep_1');
    expect(state.champion).not.toHaveProperty('retireAt');
    expect(answer.retiring.deploymentId).toBe('ep_2');
    expect(state.draining).toEqual([]);
    expect(state.retiring.map((d) => d.deploymentId)).toEqual(['ep_2']);
    expect(state.history.at(-1)).toEqual(
      expect.objectContaining({ kind: 'rolled-back', by: 'alice', detail: 'replaces ep_2: p95 doubled' }),
    );
    // Only once: the deployment it replaced is not a rollback target.
    expect(rollbackRefusal(state)).toMatch(/previous deployment ep_2 is being retired/);
    // The pipeline's promotion of ep_2, retried after its answer was lost, cannot bring it back.
    expect(promoteRefusal(state, request(2))).toMatch(/ep_2 was retired already/);
  });

  it('is refused with the reason: an empty slot, a single deployment, a retired predecessor', () => {
    expect(rollbackRefusal(emptySlot('demo'))).toBe(
      'slot demo serves nothing yet: there is nothing to roll back',
    );
    expect(rollbackRefusal(promoted(1))).toMatch(/one deployment only \(ep_1\)/);
    const s = retired(drainEnded(promoted(2), T0 + 11 * MIN), 'ep_1', 'removed', T0 + 11 * MIN);
    expect(rollbackRefusal(s)).toMatch(/ep_1 was retired at 2026-11-26T10:11:00.000Z \(removed\)/);
    expect(() => rollback(s, T0)).toThrow(/was retired/);
  });
});

describe('promotion and retirement edges', () => {
  const draining = (id: string, retireAtMs: number) => ({
    ...request(Number(id.slice(3))).deployment,
    since: new Date(T0).toISOString(),
    retireAt: new Date(retireAtMs).toISOString(),
  });

  it('a promotion naming no deployment, or no pipeline workflow, is refused — each on its own', () => {
    const r = request(1);
    expect(
      promoteRefusal(emptySlot('demo'), { ...r, deployment: { ...r.deployment, deploymentId: '' } }),
    ).toMatch(/must name the deployment and the pipeline run/);
    expect(
      promoteRefusal(emptySlot('demo'), { ...r, deployment: { ...r.deployment, workflowId: '' } }),
    ).toMatch(/must name the deployment and the pipeline run/);
  });

  it('a deployment retired earlier is refused even when others were retired after it', () => {
    let s = promoted(2);
    s = drainEnded(s, T0 + 11 * MIN);
    s = retired(s, 'ep_1', 'removed', T0 + 11 * MIN);
    s = promote(s, request(3), T0 + 12 * MIN).state;
    s = drainEnded(s, T0 + 30 * MIN);
    s = retired(s, 'ep_2', 'removed', T0 + 30 * MIN);
    expect(s.retired.map((r) => r.deploymentId)).toEqual(['ep_1', 'ep_2']);
    expect(promoteRefusal(s, request(1))).toBe(
      'deployment ep_1 was retired already; deploy anew to serve it again',
    );
  });

  it('promoting the deployment that drains takes it out of the drain: it serves, it is not retired', () => {
    const s = promote(promoted(2), request(1), T0 + 2 * MIN);
    expect(s.answer.alreadyPromoted).toBe(false);
    expect(s.state.champion?.deploymentId).toBe('ep_1');
    expect(s.state.draining.map((d) => d.deploymentId)).toEqual(['ep_2']);
    expect(s.state.retiring).toEqual([]);
  });

  it('the history says what was promoted from where, and what drains until when', () => {
    const first = promote(emptySlot('demo'), request(1), T0);
    expect(first.answer.alreadyPromoted).toBe(false);
    expect(first.state.history.at(-1)?.detail).toBe('checkpoint ckpt_1 of job job_1');
    const second = promote(first.state, request(2), T0 + MIN);
    expect(second.state.history.at(-1)?.detail).toBe(
      `checkpoint ckpt_2 of job job_2; ep_1 drains until ${new Date(T0 + 11 * MIN).toISOString()}`,
    );
  });

  it('a rollback without a reason says only what it replaces', () => {
    const { state } = rollback(promoted(2), T0 + 3 * MIN, 'oncall');
    expect(state.history.at(-1)).toMatchObject({
      kind: 'rolled-back',
      by: 'oncall',
      detail: 'replaces ep_2',
    });
  });

  it('of two draining deployments only the one whose drain ended moves on; the earlier end is the next wake-up', () => {
    const s: SlotState = {
      ...promoted(1),
      draining: [draining('ep_8', T0 + 20 * MIN), draining('ep_9', T0 + 5 * MIN)],
    };
    expect(nextRetirementMs(s)).toBe(T0 + 5 * MIN);
    const after = drainEnded(s, T0 + 5 * MIN);
    expect(after.draining.map((d) => d.deploymentId)).toEqual(['ep_8']);
    expect(after.retiring.map((d) => d.deploymentId)).toEqual(['ep_9']);
  });

  it('a retirement records the deployment named, and leaves the other one retiring', () => {
    let s = promoted(3, 0);
    s = drainEnded(s, T0 + 3 * MIN);
    expect(s.retiring.map((d) => d.deploymentId)).toEqual(['ep_1', 'ep_2']);
    s = retired(s, 'ep_2', 'remove-by-hand', T0 + 3 * MIN, 'no delete route');
    expect(s.retiring.map((d) => d.deploymentId)).toEqual(['ep_1']);
    expect(s.retired.map((d) => [d.deploymentId, d.outcome, d.note])).toEqual([
      ['ep_2', 'remove-by-hand', 'no delete route'],
    ]);
  });
});

describe('what cleanup must keep', () => {
  it('the champion and the draining deployments’ checkpoints; not the retired or retiring', () => {
    expect(slotCheckpoints(emptySlot('demo'))).toEqual([]);
    expect(slotCheckpoints(promoted(3)).sort()).toEqual(['ckpt_2', 'ckpt_3']);
  });
});

describe('the gate against the slot’s champion', () => {
  const champion = {
    deploymentId: 'ep_1',
    checkpointId: 'ckpt_1',
    metric: { name: 'validationLoss', value: 0.4 },
  };
  const baseline = championBaseline(champion, 'validationLoss')!;

  it('a tie with the champion passes (a retrain on newer data); a worse candidate does not; better beats it', () => {
    expect(evaluateGate(0.4, { direction: 'minimize' }, baseline)).toEqual({
      passed: true,
      reasons: ['ties champion ep_1 (checkpoint ckpt_1): 0.4 vs 0.4'],
    });
    expect(evaluateGate(0.41, { direction: 'minimize' }, baseline)).toEqual({
      passed: false,
      reasons: ['does not beat champion ep_1 (checkpoint ckpt_1): 0.41 vs 0.4'],
    });
    expect(evaluateGate(0.39, { direction: 'minimize' }, baseline).reasons).toEqual([
      'beats champion ep_1 (checkpoint ckpt_1): 0.39 vs 0.4',
    ]);
  });

  it('a registry model named by servingModelId must still be strictly beaten', () => {
    expect(evaluateGate(0.4, { direction: 'minimize' }, 0.4).passed).toBe(false);
  });

  it('minImprovement applies to the champion too, equal to the margin passing', () => {
    expect(evaluateGate(0.38, { direction: 'minimize', minImprovement: 0.02 }, baseline).passed).toBe(true);
    expect(evaluateGate(0.381, { direction: 'minimize', minImprovement: 0.02 }, baseline).passed).toBe(false);
  });

  it('no comparison without a champion, with another metric, or with a metric that is not a number', () => {
    expect(championBaseline(undefined, 'validationLoss')).toBeUndefined();
    expect(championBaseline({ ...champion, metric: undefined }, 'validationLoss')).toBeUndefined();
    expect(championBaseline(champion, 'accuracy')).toBeUndefined();
    expect(
      championBaseline(
        { ...champion, metric: { name: 'validationLoss', value: Number.NaN } },
        'validationLoss',
      ),
    ).toBeUndefined();
  });
});

describe('a rollback switches only to a former deployment seen to answer', () => {
  const former = { ...request(1).deployment, since: new Date(T0).toISOString() };
  const who = 'the former deployment tensorone-endpoint ep_1';
  const answered = { smoke: 'answered' } as const;
  const notAsked = { smoke: 'not-asked', why: 'no smoke request was recorded' } as const;
  const unknown = {
    read: 'unknown',
    why: 'no status read (the provider offers no GET /v2/endpoints/:endpointId)',
  } as const;

  it('answers its smoke request: switched, whether or not a status route exists', () => {
    expect(formerDeploymentRefusal(former, { read: 'serving' }, answered)).toBeUndefined();
    expect(formerDeploymentRefusal(former, unknown, answered)).toBeUndefined();
  });

  it('gone at the provider, or not serving: refused whatever else is known', () => {
    expect(formerDeploymentRefusal(former, { read: 'gone', why: 'HTTP_404' }, notAsked)).toBe(
      `${who} is gone at the provider (HTTP_404)`,
    );
    expect(formerDeploymentRefusal(former, { read: 'gone', why: 'HTTP_404' }, answered)).toMatch(/is gone/);
    expect(formerDeploymentRefusal(former, { read: 'not-serving', status: 'failed' }, answered)).toBe(
      `${who} is not serving (status: failed)`,
    );
  });

  it('exists (even "active") but does not answer its smoke request: refused', () => {
    const failed = { smoke: 'failed', why: 'INFERENCE_FAILED: Worker crashed' } as const;
    expect(formerDeploymentRefusal(former, { read: 'serving' }, failed)).toBe(
      `${who} does not answer its smoke request (INFERENCE_FAILED: Worker crashed)`,
    );
    expect(formerDeploymentRefusal(former, unknown, failed)).toMatch(/does not answer/);
  });

  it('no smoke request recorded: a status read saying "serving" is enough; no evidence at all is refused', () => {
    expect(formerDeploymentRefusal(former, { read: 'serving' }, notAsked)).toBeUndefined();
    expect(formerDeploymentRefusal(former, unknown, notAsked)).toBe(
      `cannot tell whether ${who} serves: ${unknown.why}; ${notAsked.why}`,
    );
  });
});
