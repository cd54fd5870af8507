import {
  admitWaiting,
  DAY_MS,
  dropNeverAdmitted,
  dropSilentWaiters,
  emptyLedger,
  WAITER_SILENT_AFTER_MS,
  fleetUsage,
  byRefusal,
  MONTH_MS,
  limitRefusal,
  lineStanding,
  nextWindowStart,
  pruneLedger,
  reservationRefusal,
  reserve,
  rewindow,
  settle,
  type FleetLedger,
} from '../../src/decisions/fleet-budget';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const budget = (amount: number, windowMs = DAY_MS): FleetLedger => ({
  ...emptyLedger(),
  limit: { amount, windowMs, setAt: '2026-12-06T00:00:00Z' },
});
const run = (n: number) => ({ workflowId: `pipeline-p${n}`, runId: `r${n}` });
const ask = (ledger: FleetLedger, n: number, amount: number, now = NOW) =>
  reserve(ledger, { ...run(n), amount }, now);

describe('fleet budget: admit or wait', () => {
  it('no budget set: admitted unrecorded, as before budgets existed', () => {
    const { ledger, answer } = ask(emptyLedger(), 1, 1e9);
    expect(answer.outcome).toBe('unlimited');
    expect(ledger).toEqual(emptyLedger());
  });

  it('an empty fleet admits a reservation of the whole budget', () => {
    const { answer } = ask(budget(100), 1, 100);
    expect(answer.outcome).toBe('admitted');
    expect(answer.usage).toMatchObject({ spent: 0, reserved: 100, left: 0 });
  });

  it('exactly at the limit is admitted; a cent past it waits', () => {
    const first = ask(budget(100), 1, 60).ledger;
    expect(ask(first, 2, 40).answer.outcome).toBe('admitted');
    const waiting = ask(first, 2, 40.01);
    expect(waiting.answer.outcome).toBe('waiting');
    expect(waiting.answer.text).toBe(
      'awaiting budget: fleet at $60 of $100 today (1 waiting; the window rolls at 2026-12-07T00:00:00.000Z)',
    );
  });

  it('asking again answers the same without a second reservation', () => {
    const once = ask(budget(100), 1, 60).ledger;
    const twice = ask(once, 1, 60);
    expect(twice.answer.outcome).toBe('admitted');
    expect(twice.ledger.reservations).toHaveLength(1);
    const waits = ask(once, 2, 50).ledger;
    expect(ask(waits, 2, 50).ledger.waiters).toHaveLength(1);
  });

  it('nobody jumps the line: a small request waits behind a large one that waits', () => {
    let ledger = ask(budget(100), 1, 60).ledger;
    ledger = ask(ledger, 2, 60).ledger;
    const small = ask(ledger, 3, 10);
    expect(small.answer.outcome).toBe('waiting');
    expect(small.ledger.waiters.map((w) => w.workflowId)).toEqual(['pipeline-p2', 'pipeline-p3']);
  });
});

describe('fleet budget: refusals name the field', () => {
  it.each([NaN, Infinity, 0, -5])('a cost of %p is refused, naming budget.maxCost', (amount) => {
    expect(reservationRefusal(budget(100), { ...run(1), amount })).toMatch(/^budget\.maxCost must be/);
  });

  it('a reservation larger than the whole budget is refused, not left waiting for ever', () => {
    expect(reservationRefusal(budget(100), { ...run(1), amount: 100.5 })).toBe(
      'budget.maxCost ($100.50) is more than the whole fleet budget ($100 per day): it could never be admitted; lower budget.maxCost or raise the budget with `starter budget set`',
    );
    expect(reservationRefusal(budget(100), { ...run(1), amount: 100 })).toBeUndefined();
  });

  it('no budget set: a pipeline without budget.maxCost is not asked for one', () => {
    expect(reservationRefusal(emptyLedger(), { ...run(1) })).toBeUndefined();
    expect(reservationRefusal(budget(100), { ...run(1) })).toMatch(/^budget\.maxCost is needed/);
  });

  it('a reservation without its run is refused', () => {
    expect(reservationRefusal(budget(100), { workflowId: 'p', runId: '', amount: 1 })).toMatch(/runId/);
  });

  it('a budget of NaN, 0 or a window under a second is refused, naming the flag', () => {
    expect(limitRefusal(NaN, DAY_MS)).toMatch(/^--per-day/);
    expect(limitRefusal(0, DAY_MS)).toMatch(/^--per-day/);
    expect(limitRefusal(500, 999)).toMatch(/^--window/);
    expect(limitRefusal(500, 1000)).toBeUndefined();
  });

  it('who set it (--by) is refused empty, over 100 characters or with a control character; none is fine', () => {
    expect(byRefusal(undefined)).toBeUndefined();
    expect(byRefusal('ops')).toBeUndefined();
    expect(byRefusal('x'.repeat(100))).toBeUndefined();
    expect(byRefusal('x'.repeat(101))).toBe('--by must be at most 100 characters');
    expect(byRefusal(' ')).toBe('--by must not be empty');
    expect(byRefusal('ops\n')).toBe('--by must not have control characters');
  });

  it('a window longer than 3650 days is refused: its end would be no date (the budget could not say when it rolls)', () => {
    expect(limitRefusal(500, 3650 * DAY_MS)).toBeUndefined();
    expect(limitRefusal(500, 3650 * DAY_MS + 1)).toBe(
      '--window must be a duration from 1s to 3650d (got 315360000001 ms)',
    );
    expect(limitRefusal(500, 200_000_000 * DAY_MS)).toMatch(/^--window must be a duration from 1s to 3650d/);
  });
});

describe('fleet budget: settle and admit who waits', () => {
  const full = () => {
    let ledger = ask(budget(100), 1, 40).ledger;
    ledger = ask(ledger, 2, 40).ledger;
    return ask(ledger, 3, 40).ledger;
  };

  it('a job that ended under its reservation frees the rest: the first in line is admitted', () => {
    const settled = settle(full(), run(1), 20);
    expect(fleetUsage(settled, NOW)).toMatchObject({ spent: 20, reserved: 40, left: 40, waiting: 1 });
    const { ledger, admitted } = admitWaiting(settled, NOW);
    expect(admitted.map((r) => r.workflowId)).toEqual(['pipeline-p3']);
    expect(fleetUsage(ledger, NOW)).toMatchObject({ spent: 20, reserved: 80, left: 0, waiting: 0 });
  });

  it('a job that spent all it reserved frees nothing', () => {
    expect(admitWaiting(settle(full(), run(1), 40), NOW).admitted).toEqual([]);
  });

  it('a spend that is not known keeps the whole reservation', () => {
    const settled = settle(full(), run(1), 'unknown');
    expect(fleetUsage(settled, NOW)).toMatchObject({ spent: 40, reserved: 40 });
    expect(fleetUsage(settle(full(), run(1), NaN), NOW)).toMatchObject({ spent: 40, reserved: 40 });
  });

  it('a spend past the reservation (one look late) counts whole', () => {
    expect(fleetUsage(settle(full(), run(1), 57), NOW)).toMatchObject({ spent: 57, reserved: 40, left: 3 });
  });

  it('one waiting that leaves (cancelled) gives up its place and reserves nothing', () => {
    const left = settle(full(), run(3), 0);
    expect(left.waiters).toEqual([]);
    expect(fleetUsage(left, NOW)).toMatchObject({ spent: 0, reserved: 80 });
  });

  it('the window rolls: what the day before reserved no longer counts', () => {
    const tomorrow = nextWindowStart(NOW, DAY_MS);
    expect(tomorrow).toBe(Date.parse('2026-12-07T00:00:00Z'));
    expect(admitWaiting(full(), tomorrow - 1).admitted).toEqual([]);
    const { ledger, admitted } = admitWaiting(full(), tomorrow);
    expect(admitted.map((r) => r.windowStartMs)).toEqual([tomorrow]);
    expect(fleetUsage(ledger, tomorrow)).toMatchObject({ spent: 0, reserved: 40, left: 60 });
  });

  it('settled reservations of past windows are pruned; open ones stay to be settled', () => {
    const settled = settle(full(), run(1), 10);
    const pruned = pruneLedger(settled, nextWindowStart(NOW, DAY_MS));
    expect(pruned.reservations.map((r) => r.workflowId)).toEqual(['pipeline-p2']);
    expect(pruneLedger(settled, NOW).reservations).toHaveLength(2);
  });

  it('a lost record admits nothing: each request waits until a budget is set again', () => {
    const lost: FleetLedger = { ...emptyLedger(), lost: { since: 'x', reason: 'its run before is gone' } };
    const { ledger, answer } = ask(lost, 1, 10);
    expect(answer.outcome).toBe('waiting');
    expect(answer.text).toMatch(/record was lost \(its run before is gone\)/);
    expect(admitWaiting(ledger, NOW).admitted).toEqual([]);
    const set = { ...ledger, lost: undefined, limit: budget(100).limit };
    expect(admitWaiting(set, NOW).admitted.map((r) => r.workflowId)).toEqual(['pipeline-p1']);
  });
});

describe('fleet budget: budget.whenFleetFull fail', () => {
  const failing = (ledger: FleetLedger, n: number, amount: number) =>
    reserve(ledger, { ...run(n), amount, whenFull: 'fail' }, NOW);

  it('exactly at the limit is admitted; a cent past it is refused naming the field, recording nothing', () => {
    const first = ask(budget(100), 1, 60).ledger;
    expect(failing(first, 2, 40).answer.outcome).toBe('admitted');
    const full = failing(first, 2, 40.01);
    expect(full.answer.outcome).toBe('full');
    expect(full.answer.text).toMatch(
      /^budget\.whenFleetFull is "fail" and the fleet budget is full \(fleet at \$60 of \$100 today \(0 waiting;/,
    );
    expect(full.ledger).toBe(first);
  });

  it('one that fits but would go behind someone waiting is refused too (nobody jumps the line)', () => {
    const line = ask(ask(budget(100), 1, 90).ledger, 2, 50).ledger;
    const full = failing(line, 3, 5);
    expect(full.answer.outcome).toBe('full');
    expect(full.ledger.waiters.map((w) => w.workflowId)).toEqual(['pipeline-p2']);
  });

  it('no budget set: unlimited, as for a pipeline that waits', () => {
    expect(failing(emptyLedger(), 1, 1e9).answer.outcome).toBe('unlimited');
  });

  it('a lost record refuses instead of putting it in line', () => {
    const lost = { ...emptyLedger(), lost: { since: '2026-12-06T09:00:00Z', reason: 'the history is gone' } };
    const full = failing(lost, 1, 10);
    expect(full.answer.outcome).toBe('full');
    expect(full.answer.text).toContain("the fleet budget's record was lost");
    expect(full.ledger.waiters).toEqual([]);
  });
});

describe('fleet budget: a new window length counts what was admitted in the window now running', () => {
  const HOUR_MS = 60 * 60 * 1000;
  // Per day: one job admitted at 09:30 and settled at $15, one admitted at 10:00 still running ($30).
  const day = () => {
    let ledger = ask(budget(100), 1, 20, NOW - HOUR_MS / 2).ledger;
    ledger = settle(ledger, run(1), 15);
    return ask(ledger, 2, 30, NOW).ledger;
  };
  const limited = (ledger: FleetLedger, windowMs: number): FleetLedger => ({
    ...ledger,
    limit: { ...ledger.limit!, windowMs },
  });
  const LATER = NOW + HOUR_MS / 2;

  it('per day to per 30 days: both still count (set --per-month used to forget them: the fleet at $0)', () => {
    const month = rewindow(limited(day(), MONTH_MS), MONTH_MS);
    expect(fleetUsage(month, LATER)).toMatchObject({ spent: 15, reserved: 30, left: 55 });
  });

  it('per day to a 1h window: what was admitted before 10:00 is the window before; at 10:00 exactly counts', () => {
    const hour = rewindow(limited(day(), HOUR_MS), HOUR_MS);
    expect(fleetUsage(hour, LATER)).toMatchObject({ spent: 0, reserved: 30, left: 70 });
  });

  it('back to a day: as it was', () => {
    const back = rewindow(limited(rewindow(limited(day(), HOUR_MS), HOUR_MS), DAY_MS), DAY_MS);
    expect(fleetUsage(back, LATER)).toEqual(fleetUsage(day(), LATER));
  });

  it('the same window length changes nothing (the very ledger)', () => {
    const ledger = day();
    expect(rewindow(ledger, DAY_MS)).toBe(ledger);
  });
});

describe('fleet budget: a waiter the limit in force can never admit leaves the line', () => {
  // $100: p1 holds $90, p2 waits for $80; the limit is lowered to $50, then p3 asks for $10.
  const lowered = () => {
    let ledger = ask(budget(100), 1, 90).ledger;
    ledger = ask(ledger, 2, 80).ledger;
    return { ...ledger, limit: { ...ledger.limit!, amount: 50 } };
  };

  it('p2 ($80 of $50) leaves; p3 behind it is no longer held by it', () => {
    const ledger = dropNeverAdmitted(ask(lowered(), 3, 10).ledger);
    expect(ledger.waiters.map((w) => w.workflowId)).toEqual(['pipeline-p3']);
    // Once p1's job ends, p3 is admitted; before, p2 held the line for good (it never fits $50).
    const next = admitWaiting(settle(ledger, run(1), 30), NOW);
    expect(next.admitted.map((r) => r.workflowId)).toEqual(['pipeline-p3']);
  });

  it('exactly the limit stays in line; a limit that fits it changes nothing (the very ledger)', () => {
    const atLimit = { ...lowered(), limit: { ...lowered().limit!, amount: 80 } };
    expect(dropNeverAdmitted(atLimit)).toBe(atLimit);
  });

  it('no limit (unset) or a lost record drops nobody', () => {
    const unset = { ...lowered(), limit: undefined };
    expect(dropNeverAdmitted(unset)).toBe(unset);
    const lost = { ...lowered(), lost: { since: 'x', reason: 'y' } };
    expect(dropNeverAdmitted(lost)).toBe(lost);
  });
});

describe('fleet budget: a waiter whose run stopped asking (terminated in line) leaves it', () => {
  // $25: p1 holds $20; p2 ($10) waits first, p3 ($5) behind it.
  const line = () => {
    const held = ask(budget(25), 1, 20).ledger;
    const withP2 = ask(held, 2, 10).ledger;
    return ask(withP2, 3, 5, NOW + 60_000).ledger;
  };

  it('silent exactly WAITER_SILENT_AFTER_MS leaves, a millisecond less stays; nobody silent: the very ledger', () => {
    const ledger = line();
    expect(dropSilentWaiters(ledger, NOW + WAITER_SILENT_AFTER_MS - 1)).toBe(ledger);
    const dropped = dropSilentWaiters(ledger, NOW + WAITER_SILENT_AFTER_MS);
    expect(dropped.waiters.map((w) => w.workflowId)).toEqual(['pipeline-p3']);
    // The reservations are untouched: only a place in line is given up, never a held amount.
    expect(dropped.reservations).toEqual(ledger.reservations);
  });

  it('each ask again keeps its run in line, counted from that ask', () => {
    const asked = ask(line(), 2, 10, NOW + 40 * 60_000);
    expect(asked.answer.outcome).toBe('waiting');
    const later = NOW + 40 * 60_000 + WAITER_SILENT_AFTER_MS - 1;
    // p3 (silent since NOW + 1 min) leaves; p2 asked 40 minutes in and stays first.
    expect(dropSilentWaiters(asked.ledger, later).waiters.map((w) => w.workflowId)).toEqual(['pipeline-p2']);
  });

  it('the terminated p2 no longer holds p3: p3 is admitted in the $5 left', () => {
    const alive = ask(line(), 3, 5, NOW + 40 * 60_000).ledger;
    const next = admitWaiting(
      dropSilentWaiters(alive, NOW + WAITER_SILENT_AFTER_MS),
      NOW + WAITER_SILENT_AFTER_MS,
    );
    expect(next.admitted.map((r) => r.workflowId)).toEqual(['pipeline-p3']);
    // Before, p2 first in line ($10 of the $5 left) held p3 until p1's job ended.
    expect(admitWaiting(alive, NOW + WAITER_SILENT_AFTER_MS).admitted).toEqual([]);
  });

  it('a run that was alive after all joins again at the back with its next ask', () => {
    const dropped = dropSilentWaiters(
      ask(line(), 3, 5, NOW + 40 * 60_000).ledger,
      NOW + WAITER_SILENT_AFTER_MS,
    );
    const back = ask(dropped, 2, 10, NOW + WAITER_SILENT_AFTER_MS + 1);
    expect(back.answer.outcome).toBe('waiting');
    expect(back.ledger.waiters.map((w) => w.workflowId)).toEqual(['pipeline-p3', 'pipeline-p2']);
  });

  it('a lost record keeps hearing its waiters too', () => {
    const lost = { ...line(), lost: { since: '2026-12-06T09:00:00Z', reason: 'unreadable' } };
    const asked = ask(lost, 2, 10, NOW + 40 * 60_000);
    expect(asked.ledger.waiters.find((w) => w.workflowId === 'pipeline-p2')!.askedAt).toBe(
      new Date(NOW + 40 * 60_000).toISOString(),
    );
  });
});

describe('fleet budget: where a waiting run stands now (starter status)', () => {
  it('its place in line, the fleet now and the window in force, as the budget says after a change', () => {
    let ledger = ask(budget(100), 1, 90).ledger;
    ledger = ask(ledger, 2, 60).ledger;
    ledger = ask(ledger, 3, 20).ledger;
    expect(lineStanding(ledger, run(3), NOW)).toBe(
      'awaiting budget: fleet at $90 of $100 today (2nd of 2 in line; the window rolls at 2026-12-07T00:00:00.000Z)',
    );
    // The limit is set to $100 per hour: the pipeline's own words still say "today" until it asks again.
    const hourly = rewindow(
      { ...ledger, limit: { ...ledger.limit!, windowMs: 60 * 60 * 1000 } },
      60 * 60 * 1000,
    );
    expect(lineStanding(hourly, run(2), NOW)).toBe(
      'awaiting budget: fleet at $90 of $100 this window (1st of 2 in line; the window rolls at 2026-12-06T11:00:00.000Z)',
    );
  });

  it('a run not in line (admitted meanwhile, or never in it) has no standing', () => {
    const ledger = ask(ask(budget(100), 1, 90).ledger, 2, 60).ledger;
    expect(lineStanding(ledger, run(1), NOW)).toBeUndefined();
    expect(lineStanding(ledger, { workflowId: 'pipeline-p2', runId: 'other' }, NOW)).toBeUndefined();
  });
});
