import fs from 'node:fs';
/** Removes the run's workflow bundles and stops the shared dev server; the SDK kills the process and waits for it, so no port stays bound. */
export default async function globalTeardown(): Promise<void> {
  const bundles = globalThis.__FTP_TEST_BUNDLES_DIR__;
  globalThis.__FTP_TEST_BUNDLES_DIR__ = undefined;
  if (bundles) fs.rmSync(bundles, { recursive: true, force: true });
  const devServer = globalThis.__FTP_DEV_SERVER__;
  globalThis.__FTP_DEV_SERVER__ = undefined;
  if (devServer) await devServer.teardown();
}
