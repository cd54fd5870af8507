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

describe('sweepServes: a sweep serves a look while younger than the window', () => {
  it('younger serves; exactly the window old does not', () => {
    expect(sweepServes(1000, 1000 + W - 1, W)).toBe(true);
    expect(sweepServes(1000, 1000 + W, W)).toBe(false);
  });

  it('a sweep begun after the look (another process’s clock ahead) serves it', () => {
    expect(sweepServes(5000, 1000, W)).toBe(true);
  });

  it('any sweep begun in the look’s window serves every look of that window', () => {
    const start = sweepWindowStartMs(7 * W + 5, W);
    for (const takenAt of [start, start + W / 2, start + W - 1])
      for (const look of [takenAt, start + W - 1]) expect(sweepServes(takenAt, look, W)).toBe(true);
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
