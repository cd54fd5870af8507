import {
  admitWaiting,
  DAY_MS,
  emptyLedger,
  fleetUsage,
  limitBelowUseWarning,
  reserve,
  settle,
  unsetLimit,
  unsetRefusal,
  type FleetLedger,
} from '../../src/decisions/fleet-budget';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const limit = (amount: number) => ({ amount, windowMs: DAY_MS, setAt: '2026-12-06T09:00:00.000Z' });
const holder = (n: number) => ({ workflowId: `pipeline-p${n}`, runId: `r${n}` });

describe('starter budget unset', () => {
  it('is refused when no budget is set, saying what to do', () => {
    expect(unsetRefusal(emptyLedger(), 'team-a')).toBe(
      'no fleet budget is set for task queue team-a: nothing to unset (`starter budget` shows it; `starter budget set --per-day <amount>` sets one)',
    );
  });

  it('is accepted with a budget, or with a lost record (a budget was set, its limit is unknown)', () => {
    expect(unsetRefusal({ ...emptyLedger(), limit: limit(10) }, 'team-a')).toBeUndefined();
    expect(
      unsetRefusal({ ...emptyLedger(), lost: { since: 'x', reason: 'gone' } }, 'team-a'),
    ).toBeUndefined();
  });

  it('admits everyone in line, keeps what is held to be settled, and a later reservation is unlimited', () => {
    let ledger: FleetLedger = { ...emptyLedger(), limit: limit(10) };
    ledger = reserve(ledger, { ...holder(1), amount: 10 }, NOW).ledger;
    ledger = reserve(ledger, { ...holder(2), amount: 10 }, NOW).ledger;
    expect(ledger.waiters).toHaveLength(1);
    const unset = unsetLimit(ledger);
    expect(unset.limit).toBeUndefined();
    const admitted = admitWaiting(unset, NOW);
    expect(admitted.admitted.map((r) => r.workflowId)).toEqual(['pipeline-p2']);
    expect(admitted.ledger.waiters).toEqual([]);
    expect(reserve(admitted.ledger, { ...holder(3), amount: 10 }, NOW).answer.outcome).toBe('unlimited');
    // Set again: what was held before counts.
    const again = { ...settle(admitted.ledger, holder(1), 4), limit: limit(30) };
    expect(fleetUsage(again, NOW)).toMatchObject({ spent: 4, reserved: 10 });
  });

  it('clears a lost record: nobody waits for a limit nobody knows', () => {
    const lost: FleetLedger = { ...emptyLedger(), lost: { since: 'x', reason: 'gone' } };
    const waiting = reserve(lost, { ...holder(1), amount: 10 }, NOW).ledger;
    expect(admitWaiting(waiting, NOW).admitted).toEqual([]);
    expect(admitWaiting(unsetLimit(waiting), NOW).admitted.map((r) => r.workflowId)).toEqual(['pipeline-p1']);
  });
});

describe('starter budget set below what the window already used', () => {
  const usageOf = (amount: number, spent: number, reserved: number) => {
    let ledger: FleetLedger = { ...emptyLedger(), limit: limit(1000) };
    ledger = reserve(ledger, { ...holder(1), amount: spent }, NOW).ledger;
    ledger = settle(ledger, holder(1), spent);
    if (reserved > 0) ledger = reserve(ledger, { ...holder(2), amount: reserved }, NOW).ledger;
    return fleetUsage({ ...ledger, limit: limit(amount) }, NOW);
  };

  it('warns when spent + reserved is above the new budget, saying when it frees and that nothing is stopped', () => {
    expect(limitBelowUseWarning(usageOf(20, 4.25, 20))).toBe(
      'warning: the fleet has already spent $4.25 and reserved $20 today, $4.25 above the new budget of $20: nothing more is admitted until the window rolls at 2026-12-07T00:00:00.000Z, and the newest running jobs are stopped with a saved checkpoint until what the rest may cost fits',
    );
  });

  it('says nothing exactly at it, below it, or with no usage (no budget)', () => {
    expect(limitBelowUseWarning(usageOf(24.25, 4.25, 20))).toBeUndefined();
    expect(limitBelowUseWarning(usageOf(100, 4.25, 20))).toBeUndefined();
    expect(limitBelowUseWarning(usageOf(5, 0, 0))).toBeUndefined();
    expect(limitBelowUseWarning(undefined)).toBeUndefined();
  });
});
