import { main } from '../../src/starter';
import { budgetLines } from '../../src/cli/commands/budget';
import {
  DAY_MS,
  emptyLedger,
  fleetUsage,
  reserve,
  settle,
  type FleetLedger,
} from '../../src/decisions/fleet-budget';

/** `starter budget`: refusals before any connection, and what a person reads. */
describe('starter budget set refuses a bad value naming the flag (exit 2), before connecting', () => {
  let stderr: string[];
  beforeEach(() => {
    stderr = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([['NaN'], ['0'], ['-5'], ['lots']])('--per-day %s', async (value) => {
    expect(await main(['node', 'starter', 'budget', 'set', '--per-day', value])).toBe(2);
    expect(stderr.join('')).toMatch(
      /option '--per-day <amount>' argument '.*' is invalid\. must be an amount above 0/,
    );
  });

  it('--window under a second', async () => {
    expect(await main(['node', 'starter', 'budget', 'set', '--per-day', '500', '--window', '500ms'])).toBe(2);
    expect(stderr.join('')).toMatch(/--window <duration>.*must be a duration from 1s to 3650d/);
  });

  it.each([
    ['', '--by must not be empty'],
    ['x'.repeat(101), '--by must be at most 100 characters'],
    ['ops\u001b[2J', '--by must not have control characters'],
  ])('--by %j, as every other --by', async (value, refusal) => {
    expect(await main(['node', 'starter', 'budget', 'set', '--per-day', '500', '--by', value])).toBe(2);
    expect(stderr.join('')).toContain(refusal);
  });

  it.each([['3651d'], ['200000000d']])('--window %s (longer than 3650 days)', async (value) => {
    expect(await main(['node', 'starter', 'budget', 'set', '--per-day', '500', '--window', value])).toBe(2);
    expect(stderr.join('')).toMatch(
      new RegExp(
        `option '--window <duration>' argument '${value}' is invalid\\. must be a duration from 1s to 3650d`,
      ),
    );
  });
});

describe('the budget as a person reads it', () => {
  const NOW = Date.parse('2026-12-06T10:00:00Z');
  const limit = { amount: 25, windowMs: DAY_MS, setAt: '2026-12-06T09:00:00.000Z', by: 'ops' };

  it('no budget set says so and how to set one', () => {
    expect(budgetLines('team-a', undefined)).toEqual([
      'no fleet budget is set for task queue team-a: its pipelines are held to none (`starter budget set --per-day 500`)',
    ]);
  });

  it('spent, reserved and left, then who holds what and who waits', () => {
    let ledger: FleetLedger = { ...emptyLedger(), limit };
    for (const [n, amount] of [
      [1, 10],
      [2, 10],
      [3, 10],
    ] as const)
      ledger = reserve(ledger, { workflowId: `pipeline-p${n}`, runId: `r${n}`, amount }, NOW).ledger;
    ledger = settle(ledger, { workflowId: 'pipeline-p1', runId: 'r1' }, 4.25);
    expect(budgetLines('team-a', { ledger, usage: fleetUsage(ledger, NOW) })).toEqual([
      'fleet budget of team-a: $25 per day (set 2026-12-06T09:00:00.000Z by ops)',
      '  2026-12-06T00:00:00.000Z → 2026-12-07T00:00:00.000Z: spent $4.25, reserved $10, left $10.75; 1 waiting',
      '  spent    $4.25 of $10  pipeline-p1 (run r1, since 2026-12-06T10:00:00.000Z)',
      '  holds    $10  pipeline-p2 (run r2, since 2026-12-06T10:00:00.000Z)',
      '  waiting  $10  pipeline-p3 (run r3, since 2026-12-06T10:00:00.000Z)',
    ]);
  });
});

describe('a run that ended without leaving the ledger (terminated) is named as such', () => {
  const NOW = Date.parse('2026-12-06T10:00:00Z');
  const limit = { amount: 25, windowMs: DAY_MS, setAt: '2026-12-06T09:00:00.000Z' };

  it('a waiter keeps its place until silent for three asks; a holder counts until the roll', () => {
    let ledger: FleetLedger = { ...emptyLedger(), limit };
    for (const [n, amount] of [
      [1, 10],
      [2, 20],
      [3, 5],
    ] as const)
      ledger = reserve(ledger, { workflowId: `pipeline-p${n}`, runId: `r${n}`, amount }, NOW).ledger;
    const ended = new Map([
      ['pipeline-p1/r1', 'TERMINATED'],
      ['pipeline-p2/r2', 'TERMINATED'],
    ]);
    expect(budgetLines('team-a', { ledger, usage: fleetUsage(ledger, NOW) }, ended).slice(2)).toEqual([
      '  holds    $10  pipeline-p1 (run r1, since 2026-12-06T10:00:00.000Z); its run ended (TERMINATED) without settling: it counts until the window rolls at 2026-12-07T00:00:00.000Z',
      "  waiting  $20  pipeline-p2 (run r2, since 2026-12-06T10:00:00.000Z); its run ended (TERMINATED) in line: it holds the line (1 behind it) until it leaves it, silent since 2026-12-06T10:00:00.000Z, at the budget's first change from 2026-12-06T10:45:00.000Z (a waiter behind it asks every 15 minutes)",
      '  waiting  $5  pipeline-p3 (run r3, since 2026-12-06T10:00:00.000Z)',
    ]);
  });
});

describe('a budget whose workflow is not running (terminated)', () => {
  it('says its figures are the last record and what starts it again', () => {
    const NOW = Date.parse('2026-12-06T10:00:00Z');
    const ledger: FleetLedger = {
      ...emptyLedger(),
      limit: { amount: 25, windowMs: DAY_MS, setAt: '2026-12-06T09:00:00.000Z' },
    };
    const lines = budgetLines('team-a', { ledger, usage: fleetUsage(ledger, NOW) }, new Map(), 'TERMINATED');
    expect(lines[0]).toBe(
      "the fleet budget's workflow is not running (TERMINATED): these are its last figures; the next reservation, settlement or `starter budget set` starts it again from them",
    );
    expect(lines[1]).toMatch(/^fleet budget of team-a: \$25 per day/);
  });
});
