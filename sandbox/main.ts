/**
 * `npm run sandbox`: the local provider sandbox on SANDBOX_PORT (default 8787).
 *   SANDBOX_EPOCH_MS  real ms per simulated epoch (default 1000)
 *   SANDBOX_SEED      seed for curves and faults (default 42)
 *   SANDBOX_FAULTS    fault configuration as JSON (see sandbox/faults.ts); also POST /admin/faults
 *   SANDBOX_PROFILE   `extended` (default) or `documented` (only what the provider documents promise)
 *   SANDBOX_UNKNOWN_ROUTE  documented profile's answer to other routes: not-found | method-not-allowed | invalid-method
 *                          | framework-not-found | empty-not-found
 */
import { sandboxProfileFromEnv } from './profile';
import { startSandbox } from './server';

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    port: Number(process.env.SANDBOX_PORT ?? 8787),
    epochMs: process.env.SANDBOX_EPOCH_MS ? Number(process.env.SANDBOX_EPOCH_MS) : undefined,
    deployMs: process.env.SANDBOX_DEPLOY_MS ? Number(process.env.SANDBOX_DEPLOY_MS) : undefined,
    seed: process.env.SANDBOX_SEED ? Number(process.env.SANDBOX_SEED) : undefined,
    faults: process.env.SANDBOX_FAULTS ? JSON.parse(process.env.SANDBOX_FAULTS) : undefined,
    ...sandboxProfileFromEnv(),
    log: process.env.SANDBOX_QUIET ? undefined : (line) => process.stdout.write(`sandbox ${line}\n`),
  });
  process.stdout.write(
    `provider sandbox (${sandbox.profile} profile) listening on ${sandbox.url} (TensorOne ${sandbox.url}/tensorone, TensorMesh ${sandbox.url}/tensormesh, Marqtune ${sandbox.url}/marqtune)\n`,
  );
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox: ${(err as Error).message}\n`);
  process.exit(1);
});
