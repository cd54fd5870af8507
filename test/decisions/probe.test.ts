import {
  percentile,
  probeFigures,
  probeSummary,
  probeVerdict,
  type ProbeFigures,
} from '../../src/decisions/probe';

const figures = (over: Partial<ProbeFigures> = {}): ProbeFigures => ({
  sent: 20,
  errors: 0,
  errorRate: 0,
  p95Ms: 100,
  ...over,
});
const thresholds = { maxErrorRate: 0.05, maxP95OverChampionMs: 250 };

describe('percentile (nearest rank)', () => {
  it('of nothing is undefined; of one value is that value', () => {
    expect(percentile([], 0.95)).toBeUndefined();
    expect(percentile([NaN, Infinity], 0.95)).toBeUndefined();
    expect(percentile([42], 0.95)).toBe(42);
  });
  it('p95 of 1..20 is the 19th value, of 1..100 the 95th, whatever the order given', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(percentile(twenty, 0.95)).toBe(19);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
    expect(percentile([5, 1, 3], 0)).toBe(1);
    expect(percentile([5, 1, 3], 1)).toBe(5);
  });
  it('ignores values that are not finite', () => {
    expect(percentile([NaN, 10, 20], 0.5)).toBe(10);
  });
});

describe('probeFigures', () => {
  it('counts failures and takes the p95 over the answered requests only', () => {
    const samples = [
      ...Array.from({ length: 19 }, (_, i) => ({ ok: true, latencyMs: i + 1 })),
      { ok: false, latencyMs: 30_000 }, // a timeout does not make the answered ones slow
    ];
    expect(probeFigures(samples)).toEqual({ sent: 20, errors: 1, errorRate: 0.05, p95Ms: 19 });
  });
  it('nothing answered: error rate 1, no p95; nothing sent: rate 0', () => {
    expect(probeFigures([{ ok: false, latencyMs: 5 }])).toEqual({ sent: 1, errors: 1, errorRate: 1 });
    expect(probeFigures([])).toEqual({ sent: 0, errors: 0, errorRate: 0 });
  });
  it('rounds the p95 to whole milliseconds', () => {
    expect(probeFigures([{ ok: true, latencyMs: 12.6 }]).p95Ms).toBe(13);
  });
});

describe('probeVerdict', () => {
  it('an error rate equal to the allowed one passes; one request more fails, with the figures', () => {
    expect(probeVerdict(figures({ errors: 1, errorRate: 0.05 }), undefined, thresholds)).toEqual({
      passed: true,
      reasons: [],
    });
    expect(probeVerdict(figures({ errors: 2, errorRate: 0.1 }), undefined, thresholds)).toEqual({
      passed: false,
      reasons: ['2 of 20 probe requests failed (10 %; at most 5 % allowed)'],
    });
  });
  it('a maxErrorRate of 0 refuses a single failure', () => {
    const v = probeVerdict(figures({ errors: 1, errorRate: 0.05 }), undefined, {
      ...thresholds,
      maxErrorRate: 0,
    });
    expect(v.passed).toBe(false);
  });
  it('p95 exactly at maxP95 passes; a millisecond above fails', () => {
    const t = { ...thresholds, maxP95Ms: 100 };
    expect(probeVerdict(figures({ p95Ms: 100 }), undefined, t).passed).toBe(true);
    expect(probeVerdict(figures({ p95Ms: 101 }), undefined, t).reasons).toEqual([
      'p95 latency 101 ms is above the allowed 100 ms',
    ]);
  });
  it('p95 exactly the margin above the champion passes; a millisecond more fails', () => {
    const champion = figures({ p95Ms: 40 });
    expect(probeVerdict(figures({ p95Ms: 290 }), champion, thresholds).passed).toBe(true);
    expect(probeVerdict(figures({ p95Ms: 291 }), champion, thresholds).reasons).toEqual([
      "p95 latency 291 ms is more than 250 ms above the champion's 40 ms",
    ]);
  });
  it('a faster challenger passes; a margin of 0 refuses any slower one', () => {
    const champion = figures({ p95Ms: 40 });
    expect(
      probeVerdict(figures({ p95Ms: 10 }), champion, { ...thresholds, maxP95OverChampionMs: 0 }).passed,
    ).toBe(true);
    expect(
      probeVerdict(figures({ p95Ms: 41 }), champion, { ...thresholds, maxP95OverChampionMs: 0 }).passed,
    ).toBe(false);
  });
  it('no champion, or a champion that answered nothing: latency is judged on maxP95 alone', () => {
    const slow = figures({ p95Ms: 5000 });
    expect(probeVerdict(slow, undefined, thresholds).passed).toBe(true);
    expect(
      probeVerdict(slow, figures({ errors: 20, errorRate: 1, p95Ms: undefined }), thresholds).passed,
    ).toBe(true);
  });
  it('a challenger that answered nothing fails on its error rate, not on a latency it does not have', () => {
    const v = probeVerdict(figures({ errors: 20, errorRate: 1, p95Ms: undefined }), figures(), thresholds);
    expect(v.reasons).toEqual(['20 of 20 probe requests failed (100 %; at most 5 % allowed)']);
  });
  it('every broken threshold is named; nothing sent never passes', () => {
    const v = probeVerdict(figures({ errors: 4, errorRate: 0.2, p95Ms: 900 }), figures({ p95Ms: 50 }), {
      ...thresholds,
      maxP95Ms: 500,
    });
    expect(v.reasons).toHaveLength(3);
    expect(probeVerdict(figures({ sent: 0, p95Ms: undefined }), undefined, thresholds)).toEqual({
      passed: false,
      reasons: ['no probe request was sent'],
    });
  });
});

describe('probeSummary', () => {
  it('names both endpoints’ figures, or the challenger’s alone', () => {
    expect(probeSummary(figures({ errors: 1, p95Ms: 41 }), figures({ p95Ms: 38 }))).toBe(
      'challenger 1/20 failed, p95 41 ms; champion 0/20 failed, p95 38 ms',
    );
    expect(probeSummary(figures({ errors: 20, p95Ms: undefined }), undefined)).toBe(
      'challenger 20/20 failed, p95 n/a',
    );
  });
});
