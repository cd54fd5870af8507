import { nextLookInMs, type LookForCadence } from '../../src/decisions/look-cadence';
import { spreadFraction } from '../../src/decisions/supervision';

const F = 300_000;
const look = (over: Partial<LookForCadence>): LookForCadence => ({
  lookAgainInMs: F,
  confirming: false,
  jobId: 'job_1',
  freshnessMs: F,
  nowMs: 1_000_000,
  ...over,
});
const spreadOfJob1 = Math.floor(spreadFraction('job_1') * 0.2 * F);

describe('nextLookInMs: when a watch looks again', () => {
  it('a look that read the job itself keeps the verdict’s delay', () => {
    expect(nextLookInMs(look({}))).toBe(F);
    expect(nextLookInMs(look({ lookAgainInMs: 1000 }))).toBe(1000);
  });

  it('a look that read a sweep showing other jobs comes back when it is seven tenths old, plus its place in the spread', () => {
    const sweep = { takenAtMs: 1_000_000, otherJobs: 1 };
    expect(nextLookInMs(look({ sweep }))).toBe(0.7 * F + spreadOfJob1);
    expect(nextLookInMs(look({ sweep: { takenAtMs: 1_000_000 } }))).toBe(0.7 * F + spreadOfJob1);
    // Never later than the verdict asks (near the end of training, or the start).
    expect(nextLookInMs(look({ sweep, lookAgainInMs: 5000 }))).toBe(5000);
  });

  it('a sweep showing no other job batches nothing: back at the job’s cadence, at the latest when the sweep is a freshness old', () => {
    expect(nextLookInMs(look({ sweep: { takenAtMs: 1_000_000, otherJobs: 0 } }))).toBe(F);
    // Read from a sweep made a minute ago: back when it is one freshness old, not a freshness from now.
    expect(nextLookInMs(look({ sweep: { takenAtMs: 1_000_000 - 60_000, otherJobs: 0 } }))).toBe(F - 60_000);
    expect(nextLookInMs(look({ sweep: { takenAtMs: 1_000_000 - F, otherJobs: 0 } }))).toBe(1);
  });

  it('a sweep too old already brings the next look at once (1 ms)', () => {
    expect(nextLookInMs(look({ sweep: { takenAtMs: 0, otherJobs: 5 } }))).toBe(1);
  });

  it('a first sighting of an end is confirmed after the verdict’s delay (the minimum interval), sweep or not', () => {
    const sweep = { takenAtMs: 1_000_000, otherJobs: 0 };
    expect(nextLookInMs(look({ sweep, confirming: true, lookAgainInMs: 30_000 }))).toBe(30_000);
  });
});
