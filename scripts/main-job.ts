/**
 * `npm start`: the main job on the embedded default (local dev server + provider sandbox + worker).
 * Until the pipeline workflow lands it provisions the engines and says so.
 */
import { EngineProvisionError, ensureEngines } from '../src/engine';

async function main(): Promise<void> {
  await ensureEngines({ testServer: false });
  process.stderr.write('pipeline not available yet: the fine-tune → deploy workflow lands with issue #5.\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof EngineProvisionError ? err.message : String(err)}\n`);
  process.exit(1);
});
