/** Stops the shared dev server; the SDK kills the process and waits for it, so no port stays bound. */
export default async function globalTeardown(): Promise<void> {
  const devServer = globalThis.__FTP_DEV_SERVER__;
  globalThis.__FTP_DEV_SERVER__ = undefined;
  if (devServer) await devServer.teardown();
}
