import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The CLI loads what a command uses when it runs: `--help` and a refused flag answer without loading
 * the Temporal SDK or zod, which make up most of its start-up time (bench/cli.ts has the figures).
 */

const repo = path.resolve(__dirname, '../..');
const tsx = path.join(repo, 'node_modules/.bin/tsx');

/** The packages loaded by `starter <args>`, run in a fresh process. */
function packagesLoadedBy(args: string[]): { code: number; packages: string[] } {
  const script = `
    const { main } = require('./src/starter');
    main(['node', 'starter', ...${JSON.stringify(args)}]).then((code) => {
      const names = Object.keys(require.cache)
        .map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file)?.[1])
        .filter(Boolean);
      process.stderr.write('\\nLOADED ' + JSON.stringify([...new Set(names)]) + ' ' + code + '\\n');
    });`;
  const r = spawnSync(tsx, ['-e', script], { cwd: repo, encoding: 'utf8' });
  const m = /LOADED (\[.*\]) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no report: ${r.stderr}`);
  return { packages: JSON.parse(m[1]) as string[], code: Number(m[2]) };
}

const heavy = [
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/workflow',
  '@temporalio/proto',
  'zod',
  'yaml',
];

it.each([
  [['--help'], 0],
  [['schedule', 'cleanup', 'update', '--help'], 0],
  [['status'], 2],
])(
  'starter %j loads none of the Temporal SDK, zod or yaml',
  (args, code) => {
    const loaded = packagesLoadedBy(args);
    expect(loaded.code).toBe(code);
    expect(loaded.packages).toContain('commander');
    expect(loaded.packages.filter((p) => heavy.includes(p))).toEqual([]);
  },
  30_000,
);

it('the bin runs a command that loads its modules when it runs, from the source (tsx) as compiled', () => {
  const r = spawnSync(process.execPath, ['bin/starter.cjs', 'run', 'no-such-pipeline.yaml', '--json'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, STARTER_FROM_SOURCE: '1' },
  });
  expect(r.status).toBe(2);
  expect(JSON.parse(r.stderr)).toMatchObject({ error: { kind: 'refused', exitCode: 2 } });
}, 30_000);
