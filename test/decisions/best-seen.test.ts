import { bestSeen } from '../../src/decisions/best-seen';

describe("a trial's best seen so far", () => {
  it('the first value is the best; then the lower one when minimizing, the higher when maximizing', () => {
    expect(bestSeen(undefined, 1.2, 'minimize')).toBe(1.2);
    expect(bestSeen(1.2, 0.9, 'minimize')).toBe(0.9);
    expect(bestSeen(0.9, 1.4, 'minimize')).toBe(0.9);
    expect(bestSeen(0.6, 0.8, 'maximize')).toBe(0.8);
    expect(bestSeen(0.8, 0.7, 'maximize')).toBe(0.8);
  });

  it('an equal value keeps the best seen', () => {
    expect(bestSeen(0.5, 0.5, 'minimize')).toBe(0.5);
  });

  it('a look without the metric (undefined, null, NaN, Infinity) changes nothing; none seen stays none', () => {
    expect(bestSeen(0.7, undefined, 'minimize')).toBe(0.7);
    expect(bestSeen(0.7, null, 'minimize')).toBe(0.7);
    expect(bestSeen(0.7, Number.NaN, 'minimize')).toBe(0.7);
    expect(bestSeen(0.7, Number.POSITIVE_INFINITY, 'maximize')).toBe(0.7);
    expect(bestSeen(undefined, Number.NaN, 'minimize')).toBeUndefined();
  });

  it('a best that is not a number (NaN carried in a table) is replaced by the first real value', () => {
    expect(bestSeen(Number.NaN, 1.1, 'minimize')).toBe(1.1);
  });
});
