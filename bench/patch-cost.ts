/**
 * What a `patched()` costs: the serial floor (bench/floor.ts) on the tuned dev server with no patch
 * per step and with `--patches N` per step (default 2), interleaved over `--rounds` (default 3). Each
 * patch a run asks first records a marker and makes the SDK upsert `TemporalChangeVersion`.
 *   npx tsx bench/patch-cost.ts [--patches N] [--rounds N] [--steps N]
 */
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { ensureEngines } from '../engine';
import { startDevServer } from '../engine/dev-server-tuning';
import { serialFloorMsPerStep } from './floor';
import { benchHeader, option, table } from './report';

const whole = (name: string, fallback: number) => {
  const v = Number(option(name) ?? fallback);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`--${name} must be a whole number of at least 1\n`);
    process.exit(2);
  }
  return v;
};

async function main(): Promise<void> {
  const patches = whole('patches', 2);
  const rounds = whole('rounds', 3);
  const steps = whole('steps', 15);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await startDevServer((await ensureEngines({ testServer: false })).devServer!);
  const rows: (string | number)[][] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const without = await serialFloorMsPerStep(env, steps, 5, 0);
      const withPatches = await serialFloorMsPerStep(env, steps, 5, patches);
      rows.push([r, without, withPatches, (withPatches - without) / patches]);
    }
  } finally {
    await env.teardown();
  }
  process.stdout.write(
    `${benchHeader(`What a patch costs: ${steps} serial steps, 0 and ${patches} patches per step (tuned dev server)`)}\n` +
      table(['round', 'ms per step, no patch', `ms per step, ${patches} patches`, 'ms per patch'], rows) +
      '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
