import { emptySlot, type SlotDeployment } from '../../src/decisions/serving-slot';
import { standingInSlot, standingText } from '../../src/decisions/slot-standing';

const deployment = (id: string): SlotDeployment => ({
  target: 'tensorone-endpoint',
  deploymentId: id,
  checkpointId: `ckpt_${id}`,
  jobId: 'job_1',
  workflowId: 'pipeline-a',
  runId: 'r',
  since: '2026-01-01T00:00:00Z',
});

describe('standingInSlot: where a deployment stands in its slot', () => {
  it('an empty slot holds nothing: not serving, and nothing named as serving', () => {
    expect(standingInSlot(emptySlot('a'), 'ep_1')).toEqual({ kind: 'not-in-slot', serving: undefined });
  });
  it('the champion serves; a draining one names the champion', () => {
    const slot = {
      ...emptySlot('a'),
      champion: deployment('ep_2'),
      draining: [{ ...deployment('ep_1'), retireAt: '2026-01-01T00:10:00Z' }],
    };
    expect(standingInSlot(slot, 'ep_2')).toEqual({ kind: 'serving', since: '2026-01-01T00:00:00Z' });
    const draining = standingInSlot(slot, 'ep_1');
    expect(draining).toMatchObject({ kind: 'draining', retireAt: '2026-01-01T00:10:00Z' });
    expect(standingText(draining, 'a')).toBe(
      'draining until 2026-01-01T00:10:00Z, not serving (starter rollback a puts it back); serving a now: tensorone-endpoint ep_2',
    );
  });
  it('retiring, and retired (the newest retirement of an id wins)', () => {
    const slot = {
      ...emptySlot('a'),
      champion: deployment('ep_1'),
      retiring: [deployment('ep_3')],
      retired: [
        { ...deployment('ep_2'), retiredAt: '2026-01-01T01:00:00Z', outcome: 'removed' as const },
        { ...deployment('ep_2'), retiredAt: '2026-01-02T01:00:00Z', outcome: 'already-gone' as const },
      ],
    };
    expect(standingInSlot(slot, 'ep_3')).toMatchObject({ kind: 'retiring' });
    const retired = standingInSlot(slot, 'ep_2');
    expect(retired).toMatchObject({
      kind: 'retired',
      retiredAt: '2026-01-02T01:00:00Z',
      outcome: 'already-gone',
    });
    expect(standingText(retired, 'a')).toBe(
      'retired at 2026-01-02T01:00:00Z (already-gone), not serving; serving a now: tensorone-endpoint ep_1',
    );
    expect(standingText(standingInSlot(slot, 'ep_9'), 'a')).toBe(
      'not serving (the slot a does not hold it); serving a now: tensorone-endpoint ep_1',
    );
  });
});
