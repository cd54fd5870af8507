import { contradictoryFlags, repeatedFlags } from '../../src/cli/contradictory-flags';
import { main } from '../../src/starter';

describe('a flag given with its --no- form', () => {
  it('is named, whichever comes first and whether or not the flag takes a value', () => {
    expect(contradictoryFlags(['--dry-run', '--no-dry-run'], ['--no-dry-run'])).toBe(
      '--dry-run and --no-dry-run contradict each other: give one of them',
    );
    expect(contradictoryFlags(['--no-keep-days', '--keep-days', '7'], ['--no-keep-days'])).toMatch(
      /^--keep-days and --no-keep-days/,
    );
    expect(contradictoryFlags(['--keep-days=7', '--no-keep-days'], ['--no-keep-days'])).toMatch(
      /^--keep-days and --no-keep-days/,
    );
  });

  it('one form alone, a flag with a longer name, or either after "--" is no contradiction', () => {
    expect(contradictoryFlags(['--no-dry-run'], ['--no-dry-run'])).toBeUndefined();
    expect(contradictoryFlags(['--dry-run'], ['--no-dry-run'])).toBeUndefined();
    expect(contradictoryFlags(['--dry-run-x', '--no-dry-run'], ['--no-dry-run'])).toBeUndefined();
    expect(contradictoryFlags(['--dry-run', '--', '--no-dry-run'], ['--no-dry-run'])).toBeUndefined();
    expect(contradictoryFlags([], [])).toBeUndefined();
  });

  it('starter refuses it (exit 2) before connecting to anything, naming both flags', async () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const code = await main([
        'node',
        'starter',
        'schedule',
        'reconcile',
        'update',
        '--dry-run',
        '--no-dry-run',
      ]);
      expect(code).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain(
      'error: --dry-run and --no-dry-run contradict each other: give one of them',
    );
  });
});

describe('a flag that takes one value, given twice with different values', () => {
  it('is named with both values; the same value twice, another flag or a list flag is no contradiction', () => {
    expect(repeatedFlags(['--per-day', '500', '--by', 'ops', '--per-day', '5'], ['--per-day', '--by'])).toBe(
      '--per-day given twice (500 and 5): give it once',
    );
    expect(repeatedFlags(['--grace=1h', '--grace', '2h'], ['--grace'])).toBe(
      '--grace given twice (1h and 2h): give it once',
    );
    expect(repeatedFlags(['--grace', '1h', '--grace=1h'], ['--grace'])).toBeUndefined();
    expect(repeatedFlags(['--per-day', '500', '--window', '1h'], ['--per-day', '--window'])).toBeUndefined();
    expect(repeatedFlags(['--per-day', '5', '--', '--per-day', '6'], ['--per-day'])).toBeUndefined();
  });

  it.each([
    [['budget', 'set', '--per-day', '500', '--per-day', '5'], '--per-day given twice (500 and 5)'],
    [['reconcile', '--grace', '1h', '--grace', '2h', '--dry-run'], '--grace given twice (1h and 2h)'],
  ])('starter %j is refused (exit 2) before connecting to anything', async (args, refusal) => {
    const written: string[] = [];
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      expect(await main(['node', 'starter', ...args])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toContain(`error: ${refusal}: give it once`);
  });
});
