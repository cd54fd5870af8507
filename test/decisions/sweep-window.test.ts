import { sweepServes, sweepWindowStartMs } from '../../src/decisions/sweep-window';
import { jobListSweepId } from '../../src/workflows/job-list-sweep/contract';

const W = 42_000;

describe('sweepWindowStartMs: the window every process names for a look', () => {
  it('looks anywhere in one window name its start, whatever their process', () => {
    expect(sweepWindowStartMs(10 * W, W)).toBe(10 * W);
    expect(sweepWindowStartMs(10 * W + 1, W)).toBe(10 * W);
    expect(sweepWindowStartMs(11 * W - 1, W)).toBe(10 * W);
  });

  it('a look at the end of a window (equal to the next start) names the next one', () => {
    expect(sweepWindowStartMs(11 * W, W)).toBe(11 * W);
  });

  it('the epoch and a one-millisecond window are windows like any other', () => {
    expect(sweepWindowStartMs(0, W)).toBe(0);
    expect(sweepWindowStartMs(1234, 1)).toBe(1234);
  });

  it('refuses a time or a length it cannot place a window with', () => {
    expect(() => sweepWindowStartMs(NaN, W)).toThrow(/needs a time, got NaN/);
    expect(() => sweepWindowStartMs(Infinity, W)).toThrow(/needs a time/);
    expect(() => sweepWindowStartMs(10, 0)).toThrow(/at least 1, got 0/);
    expect(() => sweepWindowStartMs(10, NaN)).toThrow(/at least 1/);
    expect(() => sweepWindowStartMs(10, 1.5)).toThrow(/whole number/);
  });
});

describe('sweepServes: a sweep serves a look only when begun in the look’s window or later', () => {
  const start = 10 * W;

  it('a sweep begun exactly at the window start serves every look of the window, and none of the next', () => {
    expect(sweepServes(start, start, W)).toBe(true);
    expect(sweepServes(start, start + W - 1, W)).toBe(true);
    // Exactly a window old: the look is in the next window.
    expect(sweepServes(start, start + W, W)).toBe(false);
  });

  it('a sweep of the previous window does not serve, however young: the look begins its own window’s', () => {
    expect(sweepServes(start - 1, start, W)).toBe(false);
    expect(sweepServes(start - 1, start + 1, W)).toBe(false);
    expect(sweepServes(start - W, start + W - 1, W)).toBe(false);
  });

  it('a look near the end of a window is served by the sweep begun at its start: younger than the window', () => {
    for (const takenAt of [start, start + W / 2, start + W - 1])
      for (const look of [takenAt, start + W - 1]) {
        expect(sweepServes(takenAt, look, W)).toBe(true);
        expect(look - takenAt).toBeLessThan(W);
      }
  });

  it('a sweep of a later window (another process’s clock ahead, a look whose time went backwards) serves', () => {
    expect(sweepServes(start + W, start + W - 1, W)).toBe(true);
    expect(sweepServes(start + 5 * W, start, W)).toBe(true);
  });

  it('an unknown sweep time serves nothing; an unknown look time is refused', () => {
    expect(sweepServes(NaN, start, W)).toBe(false);
    expect(sweepServes(Number.NEGATIVE_INFINITY, start, W)).toBe(false);
    expect(() => sweepServes(start, NaN, W)).toThrow(/needs a time, got NaN/);
    expect(() => sweepServes(start, start, 0)).toThrow(/at least 1/);
  });
});

describe('jobListSweepId: one id per queue, status, window length and window', () => {
  it('differs by each, and is the same for the same window', () => {
    const id = jobListSweepId('team-a', 'running', W, 10 * W);
    expect(id).toBe(`job-sweep--team-a--tensorone--running--${W}--${10 * W}`);
    expect(jobListSweepId('team-a', 'running', W, 10 * W)).toBe(id);
    expect(jobListSweepId('team-b', 'running', W, 10 * W)).not.toBe(id);
    expect(jobListSweepId('team-a', 'pending', W, 10 * W)).not.toBe(id);
    expect(jobListSweepId('team-a', 'running', W + 1, 10 * W)).not.toBe(id);
    expect(jobListSweepId('team-a', 'running', W, 11 * W)).not.toBe(id);
  });
});
