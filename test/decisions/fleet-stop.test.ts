import { DAY_MS, emptyLedger, reserve, settle, type FleetLedger } from '../../src/decisions/fleet-budget';
import {
  costByNow,
  costReportDue,
  readingAfterLook,
  fleetStops,
  markStopped,
  recordCost,
  settledWhenGone,
  stopNotice,
} from '../../src/decisions/fleet-stop';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const run = (n: number) => ({ workflowId: `pipeline-p${n}`, runId: `r${n}` });
/** A fleet of $100 a day holding $40 for p1, then $40 for p2 a minute later (p2 is the newest). */
function twoRunning(limit = 100): FleetLedger {
  let ledger: FleetLedger = { ...emptyLedger(), limit: { amount: 100, windowMs: DAY_MS, setAt: 'x' } };
  ledger = reserve(ledger, { ...run(1), amount: 40 }, NOW).ledger;
  ledger = reserve(ledger, { ...run(2), amount: 40 }, NOW + 60_000).ledger;
  return { ...ledger, limit: { ...ledger.limit!, amount: limit } };
}
const stopped = (ledger: FleetLedger) => fleetStops(ledger, NOW + 120_000).stop.map((r) => r.workflowId);

describe('fleet stops: which running jobs the budget stops', () => {
  it('exactly at the limit stops none; a cent below what the jobs may cost stops the newest', () => {
    const reported = (limit: number) => recordCost(twoRunning(limit), { ...run(2), cost: 20 });
    expect(stopped(reported(80))).toEqual([]);
    expect(stopped(reported(79.99))).toEqual(['pipeline-p2']);
  });

  it('the newest stops counting what it reported; when that fits, the older keeps going', () => {
    const ledger = recordCost(twoRunning(50), { ...run(2), cost: 10 });
    // 40 (p1 may still cost) + 10 (p2 stopped at its cost) = 50: exactly at the limit.
    expect(stopped(ledger)).toEqual(['pipeline-p2']);
    expect(stopped(recordCost(twoRunning(49.99), { ...run(2), cost: 10 }))).toEqual([
      'pipeline-p2',
      'pipeline-p1',
    ]);
  });

  it('a job that reported nothing counts its whole reservation, never zero: both stop', () => {
    // With p2 counted at $0 once stopped, p1 alone ($40) would fit $50; at its reservation it does not.
    expect(stopped(twoRunning(50))).toEqual(['pipeline-p2', 'pipeline-p1']);
  });

  it('a job whose reported cost passed its reservation stops the newest, at the old limit', () => {
    const over = recordCost(recordCost(twoRunning(100), { ...run(1), cost: 70 }), { ...run(2), cost: 5 });
    // 70 (p1, past its $40) + 40 (p2 may cost) = 110; p2 stopped at its $5: 75.
    expect(stopped(over)).toEqual(['pipeline-p2']);
    expect(fleetStops(over, NOW).reason).toMatch(
      /^the fleet budget of \$100 per day is passed: spent \$0 and its running jobs may cost \$110 more; the newest job is stopped with a saved checkpoint$/,
    );
  });

  it('a job already told to stop is not chosen again and counts what it reported', () => {
    const ledger = recordCost(twoRunning(50), { ...run(2), cost: 10 });
    const once = markStopped(ledger, fleetStops(ledger, NOW).stop, 'why', NOW);
    expect(once.reservations.find((r) => r.workflowId === 'pipeline-p2')?.stopped).toEqual({
      at: new Date(NOW).toISOString(),
      reason: 'why',
    });
    expect(stopped(once)).toEqual([]);
    // Its cost rising past what fits stops the older one too.
    expect(stopped(recordCost(once, { ...run(2), cost: 10.01 }))).toEqual(['pipeline-p1']);
  });

  it('empty, no limit, a lost record or a NaN limit stop none', () => {
    expect(stopped({ ...emptyLedger(), limit: { amount: 1, windowMs: DAY_MS, setAt: 'x' } })).toEqual([]);
    const held = twoRunning(10);
    expect(stopped({ ...held, limit: undefined })).toEqual([]);
    expect(stopped({ ...held, lost: { since: 'x', reason: 'gone' } })).toEqual([]);
    expect(stopped({ ...held, limit: { ...held.limit!, amount: NaN } })).toEqual([]);
  });

  it('settled jobs count what they spent; reservations of a window before do not count', () => {
    const ledger = settle(twoRunning(60), run(1), 30);
    // spent 30 + p2 may cost 40 = 70 > 60: p2 stops (at its reservation: no report).
    expect(stopped(ledger)).toEqual(['pipeline-p2']);
    expect(fleetStops(ledger, NOW + DAY_MS).stop).toEqual([]);
  });
});

describe('fleet stops: reported costs', () => {
  it('a NaN, negative or not-held report changes nothing; one for another run of the same id either', () => {
    const ledger = twoRunning();
    expect(recordCost(ledger, { ...run(1), cost: NaN })).toBe(ledger);
    expect(recordCost(ledger, { ...run(1), cost: -1 })).toBe(ledger);
    expect(recordCost(ledger, { workflowId: 'pipeline-p1', runId: 'other', cost: 5 })).toBe(ledger);
    expect(recordCost(settle(ledger, run(1), 3), { ...run(1), cost: 5 }).reservations[0]!.reported).toBe(
      undefined,
    );
    expect(recordCost(ledger, { ...run(1), cost: 5 }).reservations[0]!.reported).toBe(5);
  });

  it('a pipeline reports the first known cost, then each move of a tenth of its reservation', () => {
    expect(costReportDue(undefined, undefined, 10)).toBe(false);
    expect(costReportDue(undefined, NaN, 10)).toBe(false);
    expect(costReportDue(undefined, 0, 10)).toBe(true);
    expect(costReportDue(0, 0.99, 10)).toBe(false);
    expect(costReportDue(0, 1, 10)).toBe(true);
    expect(costReportDue(4, 4, 10)).toBe(false);
    // Passing its reservation is always told.
    expect(costReportDue(9.95, 10.01, 10)).toBe(true);
    expect(costReportDue(10.01, 10.02, 10)).toBe(false);
  });

  it('a run gone without settling counts the most it may have cost; the notice names each job', () => {
    const ledger = recordCost(twoRunning(), { ...run(2), cost: 55 });
    const [p1, p2] = ledger.reservations;
    expect(settledWhenGone(p1!)).toBe(40);
    expect(settledWhenGone(p2!)).toBe(55);
    expect(stopNotice([p2!, p1!], 'over')).toBe(
      'over: pipeline-p2 (cost so far $55 of $40), pipeline-p1 (no cost reported yet of $40)',
    );
  });
});

describe('fleet stops: the cost by now, from the looks made', () => {
  it('a new cost is a reading at its look; the same cost carried by a listed look is not', () => {
    const first = readingAfterLook(undefined, { cost: 2, percentage: 10 });
    expect(first).toEqual({ cost: 2, percentage: 10 });
    expect(readingAfterLook(first, { cost: 2, percentage: 30 })).toBe(first);
    expect(readingAfterLook(first, { cost: 5, percentage: 30 })).toEqual({ cost: 5, percentage: 30 });
    expect(readingAfterLook(first, { percentage: 40 })).toBe(first);
    expect(readingAfterLook(first, { cost: NaN, percentage: 40 })).toBe(first);
    expect(readingAfterLook(first, undefined)).toBe(first);
  });

  it('grows with progress at the reading’s cost per percent; unknown without a pace, never 0', () => {
    expect(costByNow({ cost: 2, percentage: 10 }, 10)).toBe(2);
    expect(costByNow({ cost: 2, percentage: 10 }, 30)).toBeCloseTo(6);
    // A reading at 0 % (a queued job) or without a percentage gives no pace: unknown, not its $0.
    expect(costByNow({ cost: 0, percentage: 0 }, 30)).toBeUndefined();
    expect(costByNow({ cost: 2 }, 30)).toBeUndefined();
    expect(costByNow({ cost: 2, percentage: NaN }, 30)).toBeUndefined();
    expect(costByNow({ cost: 2, percentage: 10 }, undefined)).toBeUndefined();
    // Progress went back (a resume from an earlier checkpoint): the steps done again cost again.
    expect(costByNow({ cost: 2, percentage: 10 }, 5)).toBeUndefined();
    expect(costByNow(undefined, 30)).toBeUndefined();
  });
});
