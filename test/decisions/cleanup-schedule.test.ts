import { cleanupSettingsLines, durationText, mergeCleanupInput } from '../../src/decisions/cleanup-schedule';
import type { CleanupInput } from '../../src/workflows/cleanup/contract';

const before: CleanupInput = {
  jobFilter: { status: 'completed', namePrefix: 'nightly-' },
  retention: { keepLastN: 3, keepWithinDays: 7 },
  maxDeletes: 500,
};

describe('mergeCleanupInput: only the settings given change', () => {
  it('no change keeps every setting', () => {
    expect(mergeCleanupInput(before, {})).toEqual(before);
  });
  it('a retention change keeps the filter, the other retention rule and the bound', () => {
    expect(mergeCleanupInput(before, { keepLastN: 4 })).toEqual({
      ...before,
      retention: { keepLastN: 4, keepWithinDays: 7 },
    });
  });
  it('zero is a setting, not an absence: keep 0, keep-days 0', () => {
    expect(mergeCleanupInput(before, { keepLastN: 0, keepWithinDays: 0 }).retention).toEqual({
      keepLastN: 0,
      keepWithinDays: 0,
    });
  });
  it('a filter change keeps the retention; a timing change alone changes no input', () => {
    expect(mergeCleanupInput(before, { status: 'failed' })).toEqual({
      ...before,
      jobFilter: { status: 'failed', namePrefix: 'nightly-' },
    });
    expect(mergeCleanupInput(before, { timing: { every: '1d' } })).toEqual(before);
  });
  it('null removes an optional setting and keeps every other one', () => {
    expect(mergeCleanupInput(before, { keepWithinDays: null })).toEqual({
      ...before,
      retention: { keepLastN: 3 },
    });
    expect(mergeCleanupInput(before, { namePrefix: null, keepLastN: 2 })).toEqual({
      ...before,
      jobFilter: { status: 'completed' },
      retention: { keepLastN: 2, keepWithinDays: 7 },
    });
    // Removing what is not there changes nothing.
    expect(mergeCleanupInput({ retention: { keepLastN: 3 } }, { keepWithinDays: null })).toEqual({
      jobFilter: {},
      retention: { keepLastN: 3 },
    });
  });
  it('an input without the optional parts takes the given ones', () => {
    expect(mergeCleanupInput({ retention: { keepLastN: 3 } }, { maxDeletes: 1, namePrefix: 'x' })).toEqual({
      jobFilter: { namePrefix: 'x' },
      retention: { keepLastN: 3 },
      maxDeletes: 1,
    });
  });
});

describe('durationText and the printed settings', () => {
  it('writes the largest whole unit', () => {
    expect(durationText(43_200_000)).toBe('12h');
    expect(durationText(86_400_000)).toBe('1d');
    expect(durationText(90_000)).toBe('90s');
    expect(durationText(60_000)).toBe('1m');
    expect(durationText(1500)).toBe('1500ms');
    expect(durationText(0)).toBe('0ms');
  });
  it('prints when it runs, which jobs, what it keeps and its bound', () => {
    expect(cleanupSettingsLines({ timing: { every: '12h' }, input: before })).toEqual([
      '  runs: every 12h',
      '  jobs: completed, named "nightly-…"',
      '  keeps: the newest 3 automatic checkpoints of each job, those younger than 7 days, and every manual checkpoint',
      '  deletes at most: 500 per run',
    ]);
    expect(
      cleanupSettingsLines({
        timing: { cron: '0 3 * * *' },
        input: { retention: { keepLastN: 1, includeManual: true } },
      }),
    ).toEqual([
      '  runs: cron "0 3 * * *"',
      '  jobs: any status',
      '  keeps: the newest 1 automatic checkpoints of each job',
      '  deletes at most: 1000 per run',
    ]);
  });
  it('with the settings before, says what each changed one was and nothing for the rest', () => {
    const after = { timing: { every: '12h' }, input: { ...before, maxDeletes: 500 } };
    const earlier = { timing: { every: '1d' }, input: { ...before, retention: { keepLastN: 5 } } };
    expect(cleanupSettingsLines(after, earlier)).toEqual([
      '  runs: every 12h (was every 1d)',
      '  jobs: completed, named "nightly-…"',
      '  keeps: the newest 3 automatic checkpoints of each job, those younger than 7 days, and every manual checkpoint (was the newest 5 automatic checkpoints of each job, and every manual checkpoint)',
      '  deletes at most: 500 per run',
    ]);
    // The same settings: no "(was …)" at all.
    expect(cleanupSettingsLines(after, after).join('\n')).not.toContain('(was');
  });
});
