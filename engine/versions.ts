import os from 'node:os';
import path from 'node:path';

/**
 * Engine versions. Bumping one of these builds a fresh copy next to the old one in the cache.
 * v1.5.1 is the newest Temporal CLI whose go.mod has no `replace` directive, so `go install` works.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** Maven Central artifact io.temporal:temporal-test-server; runs on Java 17. */
export const TEST_SERVER_VERSION = '1.38.0';
/** The fixes compiled over the test server's own class (engine/test-server-patch.ts); part of its cache key. */
export const TEST_SERVER_PATCH = 'cancels-after-end';

/** Cache root outside the repository, shared by every clone on this machine. */
export function engineCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FTP_ENGINE_CACHE) return path.resolve(env.FTP_ENGINE_CACHE);
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'finetune-pipelines', 'engines');
}

export function devServerDir(root: string): string {
  return path.join(root, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

export function testServerDir(root: string): string {
  return path.join(root, `temporal-test-server-${TEST_SERVER_VERSION}-${TEST_SERVER_PATCH}`);
}
