import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withDirLock } from '../../engine/lock';
import { runBuildStep } from '../../engine/run-build';
import { EngineProvisionError } from '../../engine/errors';

/**
 * The Temporal server inside the CLI dev server we build (engine/versions.ts); its go.mod has no
 * `replace`, so both commands build with `go install` from the module proxy.
 */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
const SERVER_PACKAGE = 'go.temporal.io/server/cmd/server';
/** The schema tool; the PostgreSQL schemas (persistence and visibility) are embedded in it. */
const SQL_TOOL_PACKAGE = 'go.temporal.io/server/cmd/tools/sql';
const READY_MARKER = 'READY';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
}

export function clusterBinariesDir(cacheRoot: string): string {
  return path.join(cacheRoot, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/**
 * Returns the server and its SQL tool, building both with `go install` into the version-keyed engine
 * cache on first use (a lock makes two callers build once).
 */
export async function ensureClusterBinaries(
  cacheRoot: string,
  log: (line: string) => void,
): Promise<ClusterBinaries> {
  const dir = clusterBinariesDir(cacheRoot);
  const binaries = {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
  };
  const ready = () =>
    fs.existsSync(path.join(dir, READY_MARKER)) &&
    fs.existsSync(binaries.server) &&
    fs.existsSync(binaries.sqlTool);
  if (ready()) return binaries;

  return withDirLock(dir, async () => {
    if (ready()) return binaries; // another process built them while we waited
    const go = spawnSync('go', ['version'], { stdio: 'ignore', timeout: 20_000 });
    if (go.error || go.status !== 0)
      throw new EngineProvisionError(
        `Go is missing: 'go' is not on PATH, and the Temporal server v${TEMPORAL_SERVER_VERSION} for the cluster is built with it (https://go.dev/dl/, then run again)`,
      );
    log(
      `Building Temporal server v${TEMPORAL_SERVER_VERSION} and its SQL tool with go install (minutes on 2 cores)…`,
    );
    const gobin = fs.mkdtempSync(path.join(dir, 'build-'));
    try {
      await runBuildStep({
        label: 'go install temporal server',
        command: 'go',
        args: [
          'install',
          '-v',
          `${SERVER_PACKAGE}@v${TEMPORAL_SERVER_VERSION}`,
          `${SQL_TOOL_PACKAGE}@v${TEMPORAL_SERVER_VERSION}`,
        ],
        env: { ...process.env, GOBIN: gobin },
        timeoutMs: 40 * 60_000,
        log,
      });
      fs.renameSync(path.join(gobin, 'server'), binaries.server);
      fs.renameSync(path.join(gobin, 'sql'), binaries.sqlTool);
      fs.writeFileSync(path.join(dir, READY_MARKER), `${TEMPORAL_SERVER_VERSION}\n`);
    } finally {
      fs.rmSync(gobin, { recursive: true, force: true });
    }
    return binaries;
  });
}
