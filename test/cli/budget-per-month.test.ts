import { main } from '../../src/starter';
import { budgetLines } from '../../src/cli/commands/budget';
import { DAY_MS, emptyLedger, fleetUsage, limitRefusal, MONTH_MS } from '../../src/decisions/fleet-budget';

/** `starter budget set --per-month`: a 30-day window; refusals before any connection (exit 2), naming the flags. */
describe('starter budget set --per-month refuses before connecting (exit 2), naming the flags', () => {
  let stderr: string[];
  beforeEach(() => {
    stderr = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());
  const set = (...args: string[]) => main(['node', 'starter', 'budget', 'set', ...args]);

  it('--per-day and --per-month together', async () => {
    expect(await set('--per-day', '20', '--per-month', '500')).toBe(2);
    expect(stderr.join('')).toMatch(
      /option '--per-month <amount>' cannot be used with option '--per-day <amount>'/,
    );
  });

  it('--per-month with --window (its window is 30 days)', async () => {
    expect(await set('--per-month', '500', '--window', '12h')).toBe(2);
    expect(stderr.join('')).toMatch(
      /option '--per-month <amount>' cannot be used with option '--window <duration>'/,
    );
  });

  it.each([['NaN'], ['0'], ['-5'], ['lots']])('--per-month %s', async (value) => {
    expect(await set('--per-month', value)).toBe(2);
    expect(stderr.join('')).toMatch(
      /option '--per-month <amount>' argument '.*' is invalid\. must be an amount above 0/,
    );
  });

  it('neither flag: says which to give', async () => {
    expect(await set()).toBe(2);
    expect(stderr.join('')).toMatch(/error: give the budget with --per-day <amount> or --per-month <amount>/);
  });
});

describe('a budget per 30 days', () => {
  it('the update refuses a bad amount naming --per-month', () => {
    expect(limitRefusal(NaN, MONTH_MS)).toBe('--per-month must be an amount above 0 (got NaN)');
    expect(limitRefusal(0, DAY_MS)).toBe('--per-day must be an amount above 0 (got 0)');
    expect(limitRefusal(900, MONTH_MS)).toBeUndefined();
  });

  it('reads as "per 30 days" with its window’s bounds', () => {
    const NOW = Date.parse('2026-12-06T10:00:00Z');
    const ledger = {
      ...emptyLedger(),
      limit: { amount: 900, windowMs: MONTH_MS, setAt: '2026-12-06T09:00:00.000Z' },
    };
    const usage = fleetUsage(ledger, NOW)!;
    expect(usage.windowEndMs - usage.windowStartMs).toBe(30 * DAY_MS);
    expect(usage.windowStartMs).toBeLessThanOrEqual(NOW);
    expect(budgetLines('team-a', { ledger, usage })[0]).toBe(
      'fleet budget of team-a: $900 per 30 days (set 2026-12-06T09:00:00.000Z)',
    );
  });
});
