import fs from 'node:fs';
import path from 'node:path';
import { withDirLock } from './lock';
import { runBuildStep } from './run-build';
import { requireExecutable, requireTool } from './tools';
import { TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION, devServerDir } from './versions';

const READY_MARKER = 'READY';

/**
 * Returns the path of a `temporal` CLI binary (which provides `temporal server start-dev`), building
 * it with `go install` into the version-keyed cache on first use.
 */
export async function ensureDevServerBinary(cacheRoot: string, log: (line: string) => void): Promise<string> {
  const existing = process.env.TEMPORAL_CLI_PATH;
  if (existing) return requireExecutable(existing, 'TEMPORAL_CLI_PATH');

  const dir = devServerDir(cacheRoot);
  const binary = path.join(dir, 'temporal');
  if (isReady(dir, binary)) return binary;

  return withDirLock(dir, async () => {
    if (isReady(dir, binary)) return binary; // another process built it while we waited
    requireTool('go', ['version'], 'Go (needed to build the Temporal CLI dev server)');
    log(`Building Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (takes a few minutes on 2 cores)…`);
    const gobin = fs.mkdtempSync(path.join(dir, 'build-'));
    try {
      await runBuildStep({
        label: 'go install temporal',
        command: 'go',
        args: ['install', '-v', `${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
        env: { ...process.env, GOBIN: gobin },
        timeoutMs: 40 * 60_000,
        log,
      });
      fs.renameSync(path.join(gobin, 'temporal'), binary);
      fs.writeFileSync(path.join(dir, READY_MARKER), `${TEMPORAL_CLI_VERSION}\n`);
    } finally {
      fs.rmSync(gobin, { recursive: true, force: true });
    }
    return binary;
  });
}

function isReady(dir: string, binary: string): boolean {
  return fs.existsSync(path.join(dir, READY_MARKER)) && fs.existsSync(binary);
}
