import { contradictoryFlags } from '../../src/cli/contradictory-flags';
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
