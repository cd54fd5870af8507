import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  BENCHMARKS,
  compareTable,
  firstTable,
  parseCompareArgs,
  type Printed,
  type TreeRuns,
} from '../../bench/compare-table';

const repo = path.resolve(__dirname, '../..');
const [overhead, economy] = BENCHMARKS;

/** Two rounds of an older tree's overhead table (its first column headed 'dev server'). */
const olderOverhead = (wall: [string, string], tuned: [string, string]): Printed[] =>
  [0, 1].map((i) => ({
    headers: [
      'dev server',
      'Temporal p50 ms (wall)',
      'durable timer wait ms',
      'Temporal p50 ms (excl. durable timer wait)',
      'script p50 ms',
      'overhead per step ms (excl. timers)',
    ],
    rows: [
      ['dev server defaults', wall[i], '0', wall[i], '20.0', '80.0'],
      ['project tuning', tuned[i], '0', tuned[i], '19.0', '18.0'],
    ],
  }));
/** Two rounds of this tree's overhead table: per server wall, deliberate waits, excl., script, per step. */
const thisOverhead: Printed[] = [
  [
    ['2,629', '1,360', '1,269', '30.0', '56.8'],
    ['1,632', '1,093', '542', '31.0', '23.9'],
  ],
  [
    ['2,601', '1,354', '1,243', '29.0', '55.8'],
    ['1,553', '1,082', '473', '30.0', '20.8'],
  ],
].map(([defaults, tuned]) => ({
  headers: [
    'server',
    'Temporal p50 ms (wall)',
    'deliberate waits p50 ms',
    'Temporal p50 ms (excl. deliberate waits)',
    'script p50 ms',
    'steps',
    'overhead per step ms (excl. deliberate waits)',
  ],
  rows: [
    ['dev server defaults', ...defaults.slice(0, 4), '19', defaults[4]],
    ['project tuning', ...tuned.slice(0, 4), '19', tuned[4]],
  ],
}));
const economyRuns = (calls: [string, string]): Printed[] =>
  calls.map((c) => ({
    headers: ['jobs', 'provider calls', 'minimum calls', 'calls / minimum', 'events per job-day', 'runs'],
    rows: [['1', c, '866', (Number(c) / 866).toFixed(2), '306', '1']],
  }));

describe('bench:compare tables', () => {
  it('with one ref prints what it printed before several refs were taken (earlier RESULTS.md runs)', () => {
    // Printed for these rounds by bench/compare.ts before it took several refs.
    const before = [
      '### Overhead (bench/overhead.ts --quick)',
      '',
      '| tree | server | Temporal p50 ms (wall) | deliberate waits p50 ms | Temporal p50 ms (excl. deliberate waits) | script p50 ms | overhead per step ms (excl. deliberate waits) |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      '| d701c0c | dev server defaults | 1684 | 0 | 1684 | 20.60 | 87.45 |',
      '| this tree (a9efe8f) | dev server defaults | 2615 | 1357 | 1256 | 29.50 | 56.30 |',
      '| ratio (this tree / ref) | dev server defaults | 1.55 | — | 0.746 | 1.43 | 0.644 |',
      '| d701c0c | project tuning | 371 | 0 | 371 | 19.25 | 18.75 |',
      '| this tree (a9efe8f) | project tuning | 1593 | 1088 | 508 | 30.50 | 22.35 |',
      '| ratio (this tree / ref) | project tuning | 4.29 | — | 1.37 | 1.58 | 1.19 |',
      '',
      '### API economy (bench/api-economy.ts --quick)',
      '',
      '| tree | provider calls | minimum calls | calls / minimum | events per job-day | runs |',
      '| --- | --- | --- | --- | --- | --- |',
      '| d701c0c | 882 | 866 | 1.02 | 306 | 1 |',
      '| this tree (a9efe8f) | 876 | 866 | 1.01 | 306 | 1 |',
      '| ratio (this tree / ref) | 0.993 | 1 | 0.990 | 1 | 1 |',
    ].join('\n');
    const ref: TreeRuns = {
      label: 'd701c0c',
      ref: 'd701c0c',
      runs: [
        {
          headers: [
            'dev server',
            'Temporal p50 ms (wall)',
            'durable timer wait ms',
            'Temporal p50 ms (excl. durable timer wait)',
            'script p50 ms',
            'overhead per step ms (excl. timers)',
          ],
          rows: [
            ['dev server defaults', '1,667', '0', '1,667', '20.1', '86.9'],
            ['project tuning', '362', '0', '362', '19.0', '18.3'],
          ],
        },
        {
          headers: [
            'dev server',
            'Temporal p50 ms (wall)',
            'durable timer wait ms',
            'Temporal p50 ms (excl. durable timer wait)',
            'script p50 ms',
            'overhead per step ms (excl. timers)',
          ],
          rows: [
            ['dev server defaults', '1,701', '0', '1,701', '21.1', '88.0'],
            ['project tuning', '380', '0', '380', '19.5', '19.2'],
          ],
        },
      ],
    };
    const head: TreeRuns = { label: 'this tree (a9efe8f)', runs: thisOverhead };
    const printed = [
      compareTable(overhead, [ref], head),
      compareTable(economy, [{ ...ref, runs: economyRuns(['881', '883']) }], {
        ...head,
        runs: economyRuns(['875', '876']),
      }),
    ].join('\n\n');
    expect(printed).toBe(before);
  });

  it('with two refs: per server a row per ref in the order given, this tree, then this tree / each ref', () => {
    const refs: TreeRuns[] = [
      { label: 'd701c0c', ref: 'd701c0c', runs: olderOverhead(['1,600', '1,700'], ['350', '370']) },
      { label: 'main (c751b08)', ref: 'main', runs: olderOverhead(['2,300', '2,500'], ['1,500', '1,540']) },
    ];
    const head: TreeRuns = { label: 'this tree (a9efe8f)', runs: thisOverhead };
    const printed = firstTable(compareTable(overhead, refs, head))!;
    expect(printed.headers.slice(0, 4)).toEqual([
      'tree',
      'server',
      'Temporal p50 ms (wall)',
      'deliberate waits p50 ms',
    ]);
    expect(printed.rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['d701c0c', 'dev server defaults', '1650'],
      ['main (c751b08)', 'dev server defaults', '2400'],
      ['this tree (a9efe8f)', 'dev server defaults', '2615'],
      ['ratio (this tree / d701c0c)', 'dev server defaults', '1.58'],
      ['ratio (this tree / main)', 'dev server defaults', '1.09'],
      ['d701c0c', 'project tuning', '360'],
      ['main (c751b08)', 'project tuning', '1520'],
      ['this tree (a9efe8f)', 'project tuning', '1593'],
      ['ratio (this tree / d701c0c)', 'project tuning', '4.42'],
      ['ratio (this tree / main)', 'project tuning', '1.05'],
    ]);
    // A ref's zero (an older tree's durable timer wait) makes no ratio rather than an infinite one.
    const waits = printed.headers.indexOf('deliberate waits p50 ms');
    expect(printed.rows[0][waits]).toBe('0');
    expect(printed.rows[3][waits]).toBe('—');

    const calls = firstTable(
      compareTable(
        economy,
        [
          { ...refs[0], runs: economyRuns(['881', '881']) },
          { ...refs[1], runs: economyRuns(['1,174', '1,174']) },
        ],
        { ...head, runs: economyRuns(['875', '877']) },
      ),
    )!;
    expect(calls.rows.map((r) => [r[0], r[1]])).toEqual([
      ['d701c0c', '881'],
      ['main (c751b08)', '1174'],
      ['this tree (a9efe8f)', '876'],
      ['ratio (this tree / d701c0c)', '0.994'],
      ['ratio (this tree / main)', '0.746'],
    ]);
  });
});

describe('bench:compare command line', () => {
  it('takes every argument but the options and --rounds value as a ref, in order', () => {
    expect(parseCompareArgs(['d701c0c', 'c751b08', '--rounds', '3'])).toEqual({
      refs: ['d701c0c', 'c751b08'],
      rounds: 3,
      sameBench: false,
      providerQueues: false,
    });
    expect(
      parseCompareArgs(['--rounds', '2', 'd701c0c', '--same-bench', 'c751b08', '--provider-queues']),
    ).toEqual({
      refs: ['d701c0c', 'c751b08'],
      rounds: 2,
      sameBench: true,
      providerQueues: true,
    });
    // A ref that reads like the rounds' value is still a ref; the value itself is not.
    expect(parseCompareArgs(['3', '--rounds', '3'])).toMatchObject({ refs: ['3'], rounds: 3 });
    expect(parseCompareArgs(['main'])).toMatchObject({ refs: ['main'], rounds: 1 });
  });

  it('refuses, naming the argument: no ref, a ref twice, an unknown option, a bad or missing --rounds', () => {
    const error = (args: string[]) => (parseCompareArgs(args) as { error?: string }).error;
    expect(error([])).toMatch(/^usage: npm run bench:compare -- <git ref>/);
    expect(error(['--rounds', '2'])).toMatch(/^usage:/);
    expect(error(['d701c0c', 'c751b08', 'd701c0c'])).toBe('ref d701c0c is given twice');
    expect(error(['d701c0c', '--round', '3'])).toMatch(/^unknown option --round\n/);
    expect(error(['d701c0c', '-n'])).toMatch(/^unknown option -n\n/);
    expect(error(['d701c0c', '--rounds'])).toBe('--rounds needs a value (--rounds <N>)');
    expect(error(['d701c0c', '--rounds', '--same-bench'])).toBe('--rounds needs a value (--rounds <N>)');
    expect(error(['d701c0c', '--rounds', '0'])).toBe('--rounds must be a whole number of at least 1 (got 0)');
    expect(error(['d701c0c', '--rounds', '1.5'])).toBe(
      '--rounds must be a whole number of at least 1 (got 1.5)',
    );
    expect(error(['d701c0c', '--rounds', '2', '--rounds', '3'])).toBe('--rounds is given twice (2 and 3)');
  });

  it('refuses a ref that is not a commit, or names one already given, before any worktree is made', () => {
    const worktrees = () => spawnSync('git', ['worktree', 'list'], { cwd: repo, encoding: 'utf8' }).stdout;
    const before = worktrees();
    const run = (args: string[]) =>
      spawnSync(path.join(repo, 'node_modules/.bin/tsx'), ['bench/compare.ts', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
    const missing = run(['HEAD', 'no-such-ref-for-bench-compare', '--rounds', '1']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('ref: no-such-ref-for-bench-compare is not a commit of this repository');
    const twice = run(['HEAD', 'HEAD~0']);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/ref: HEAD~0 is the same commit \([0-9a-f]+\) as HEAD, given before it/);
    expect(worktrees()).toBe(before);
  });
});
