/**
 * `npm run engine`: builds or finds the Temporal engines this project runs on (the CLI dev server and
 * the time-skipping test server). Called by `npm test` and by the main job; cached after the first run.
 */
import { EngineProvisionError, engineCacheRoot, ensureEngines } from '../engine';

async function main(): Promise<void> {
  const engines = await ensureEngines();
  const dev = engines.devServer ?? `not needed (TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS})`;
  process.stderr.write(
    `engines ready in ${engines.seconds.toFixed(1)} s (cache ${engineCacheRoot()})\n` +
      `  dev server:  ${dev}\n  test server: ${engines.testServer}\n`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof EngineProvisionError ? err.message : String((err as Error)?.stack ?? err);
  process.stderr.write(`engine: ${message}\n`);
  process.exit(1);
});
