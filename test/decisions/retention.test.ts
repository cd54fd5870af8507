import { planCleanup, type CheckpointSummary } from '../../src/decisions/retention';

const DAY = 86_400_000;
const now = Date.parse('2026-01-31T00:00:00Z');
const daysAgo = (d: number) => new Date(now - d * DAY).toISOString();
const auto = (id: string, epoch: number, createdAt?: string, sizeBytes?: number): CheckpointSummary => ({
  id,
  jobId: 'j',
  type: 'automatic',
  epoch,
  createdAt,
  sizeBytes,
});
const reasons = (list: { id: string; reason: string }[]) => list.map((c) => [c.id, c.reason]);

describe('the keep window, at its edge', () => {
  it('a checkpoint exactly keepWithinDays old is kept; a millisecond older is deleted', () => {
    const edge = auto('edge', 2, new Date(now - 7 * DAY).toISOString());
    const older = auto('older', 1, new Date(now - 7 * DAY - 1).toISOString());
    const plan = planCleanup(
      [edge, older, auto('new', 3, daysAgo(0))],
      { keepLastN: 1, keepWithinDays: 7 },
      [],
      now,
    );
    expect(reasons(plan.keep)).toEqual([
      ['new', 'newest 1'],
      ['edge', 'within 7 days'],
    ]);
    expect(reasons(plan.delete)).toEqual([['older', 'older-than-keep-window']]);
  });

  it('a window of 0 days keeps only what was made this very moment', () => {
    const plan = planCleanup(
      [auto('now', 2, daysAgo(0)), auto('old', 1, daysAgo(1))],
      { keepLastN: 0, keepWithinDays: 0 },
      [],
      now,
    );
    expect(reasons(plan.keep)).toEqual([['now', 'within 0 days']]);
    expect(plan.delete.map((c) => c.id)).toEqual(['old']);
  });
});

describe('keep-last-N counts automatic checkpoints only', () => {
  it('manual checkpoints (deleted when included) do not use up the newest N', () => {
    const list = [
      { id: 'm-new', jobId: 'j', type: 'manual' as const, epoch: 9, createdAt: daysAgo(1) },
      auto('a2', 2, daysAgo(2)),
      auto('a1', 1, daysAgo(3)),
    ];
    const plan = planCleanup(list, { keepLastN: 1, includeManual: true }, [], now);
    expect(reasons(plan.keep)).toEqual([['a2', 'newest 1']]);
    expect(plan.delete.map((c) => [c.id, c.reason])).toEqual([
      ['m-new', 'beyond-keep-last-n'],
      ['a1', 'beyond-keep-last-n'],
    ]);
    expect(planCleanup(list, { keepLastN: 1 }, [], now).keep.map((c) => c.id)).toEqual(['m-new', 'a2']);
  });

  it('keepLastN 0 keeps none for being new', () => {
    expect(
      planCleanup([auto('a', 1, daysAgo(1))], { keepLastN: 0 }, [], now).delete.map((c) => c.id),
    ).toEqual(['a']);
  });
});

describe('which is newer', () => {
  it('by creation time; without a readable time, by epoch; then by id', () => {
    const list = [
      auto('no-date-e5', 5),
      auto('bad-date-e7', 7, 'yesterday'),
      auto('same-b', 3, daysAgo(1)),
      auto('same-a', 3, daysAgo(1)),
      auto('dated-e1', 1, daysAgo(2)),
    ];
    // Every dated checkpoint is newer than an epoch number read as milliseconds since 1970.
    const plan = planCleanup(list, { keepLastN: 5 }, [], now);
    expect(plan.keep.map((c) => c.id)).toEqual(['same-b', 'same-a', 'dated-e1', 'bad-date-e7', 'no-date-e5']);
    expect(planCleanup(list, { keepLastN: 1 }, [], now).keep.map((c) => c.id)).toEqual(['same-b']);
  });

  it('with neither date nor epoch, all are equally old and the id decides', () => {
    const bare = (id: string): CheckpointSummary => ({ id, jobId: 'j', type: 'automatic' });
    expect(
      planCleanup([bare('a'), bare('c'), bare('b')], { keepLastN: 1 }, [], now).keep.map((c) => c.id),
    ).toEqual(['c']);
  });
});

describe('the size budget', () => {
  const windowed = [
    auto('n', 4, daysAgo(0.5), 100),
    auto('w3', 3, daysAgo(1), 100),
    auto('w2', 2, daysAgo(2), 100),
    auto('w1', 1, daysAgo(3), 100),
  ];

  it('a job exactly at its budget loses nothing', () => {
    const plan = planCleanup(windowed, { keepLastN: 1, keepWithinDays: 5, maxTotalBytes: 400 }, [], now);
    expect(plan.delete).toEqual([]);
    expect(plan.bytesReclaimed).toBe(0);
  });

  it('a byte over deletes the oldest windowed checkpoint only, keeping every field', () => {
    const plan = planCleanup(windowed, { keepLastN: 1, keepWithinDays: 5, maxTotalBytes: 399 }, [], now);
    expect(plan.delete).toEqual([
      {
        id: 'w1',
        jobId: 'j',
        type: 'automatic',
        epoch: 1,
        createdAt: daysAgo(3),
        sizeBytes: 100,
        reason: 'over-size-budget',
      },
    ]);
    expect(plan.bytesReclaimed).toBe(100);
  });

  it('trims oldest first until under budget, but never the newest N or a protected one', () => {
    const plan = planCleanup(windowed, { keepLastN: 1, keepWithinDays: 5, maxTotalBytes: 0 }, ['w2'], now);
    expect(plan.delete.map((c) => c.id)).toEqual(['w1', 'w3']);
    expect(plan.keep.map((c) => c.id)).toEqual(['n', 'w2']);
    expect(plan.bytesReclaimed).toBe(200);
  });

  it('a checkpoint of unknown size counts as nothing, reclaimed or kept', () => {
    const list = [
      auto('n', 3, daysAgo(0.5), 100),
      auto('unknown', 2, daysAgo(1)),
      auto('w', 1, daysAgo(2), 100),
    ];
    const plan = planCleanup(list, { keepLastN: 1, keepWithinDays: 5, maxTotalBytes: 100 }, [], now);
    // 200 bytes known: the oldest (100 bytes) goes and the budget is met; the unknown one stays.
    expect(plan.delete.map((c) => c.id)).toEqual(['w']);
    expect(plan.bytesReclaimed).toBe(100);
    const older = planCleanup([auto('old', 1, daysAgo(40))], { keepLastN: 0 }, [], now);
    expect(older.bytesReclaimed).toBe(0);
  });

  it('without a window nothing is trimmed by size (keep-last-N already decided)', () => {
    const plan = planCleanup(windowed, { keepLastN: 2, maxTotalBytes: 0 }, [], now);
    expect(reasons(plan.delete)).toEqual([
      ['w2', 'beyond-keep-last-n'],
      ['w1', 'beyond-keep-last-n'],
    ]);
    expect(plan.keep.map((c) => c.id)).toEqual(['n', 'w3']);
  });
});
