import { jobsToStop, type RunningHold } from '../../src/decisions/fleet-overrun';

const hold = (n: number, amount: number, at: string, cost?: number): RunningHold => ({
  workflowId: `pipeline-p${n}`,
  runId: `r${n}`,
  amount,
  at: `2026-12-06T${at}:00.000Z`,
  ...(cost !== undefined ? { cost } : {}),
});
const names = (held: RunningHold[]) => held.map((h) => h.workflowId);

describe('which jobs to stop when the fleet would pass its budget', () => {
  const three = [hold(1, 10, '09:00', 6), hold(2, 10, '10:00', 3), hold(3, 10, '11:00', 1)];

  it('none when spent + what the rest may cost is exactly at the budget, or below it', () => {
    expect(jobsToStop(30, 0, three)).toEqual([]);
    expect(jobsToStop(35, 5, three)).toEqual([]);
  });

  it('the newest first, only as many as it takes: a stopped job counts what it has cost', () => {
    // 5 + 30 = 35 > 34; stopping p3 (cost 1) makes it 26 ≤ 34.
    expect(names(jobsToStop(34, 5, three))).toEqual(['pipeline-p3']);
    // 5 + 30 = 35 > 25; p3 → 26, still > 25; p2 (cost 3) → 19.
    expect(names(jobsToStop(25, 5, three))).toEqual(['pipeline-p3', 'pipeline-p2']);
  });

  it('every job when even what they have cost passes the budget', () => {
    expect(names(jobsToStop(5, 5, three))).toEqual(['pipeline-p3', 'pipeline-p2', 'pipeline-p1']);
  });

  it('a job with no reported cost (or NaN) counts its whole reservation: stopping it frees nothing, the next newest is stopped too', () => {
    const held = [hold(1, 10, '09:00', 2), hold(2, 10, '10:00', Number.NaN)];
    expect(names(jobsToStop(15, 0, held))).toEqual(['pipeline-p2', 'pipeline-p1']);
    expect(names(jobsToStop(15, 0, [hold(1, 10, '09:00', 2), hold(2, 10, '10:00')]))).toEqual([
      'pipeline-p2',
      'pipeline-p1',
    ]);
  });

  it('a job whose looks reported more than its reservation counts what it reported (12 + 8 > 19; counting 10 it would fit)', () => {
    expect(names(jobsToStop(19, 0, [hold(1, 10, '09:00', 12), hold(2, 8, '10:00', 1)]))).toEqual([
      'pipeline-p2',
    ]);
  });

  it('admitted at the same time: the later in the ledger is the newer', () => {
    const held = [hold(1, 10, '09:00', 1), hold(2, 10, '09:00', 1)];
    expect(names(jobsToStop(15, 0, held))).toEqual(['pipeline-p2']);
  });

  it('nothing held, or a limit or spend that is not a number: nothing to stop', () => {
    expect(jobsToStop(0, 100, [])).toEqual([]);
    expect(jobsToStop(Number.NaN, 0, three)).toEqual([]);
    expect(jobsToStop(10, Number.NaN, three)).toEqual([]);
  });
});
