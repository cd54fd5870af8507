import fs from 'node:fs';
import path from 'node:path';
import { withDirLock } from './lock';
import { runBuildStep } from './run-build';
import { buildPatchedClasses } from './test-server-patch';
import { requireExecutable, requireTool } from './tools';
import { TEST_SERVER_PATCH, TEST_SERVER_VERSION, testServerDir } from './versions';

const READY_MARKER = 'READY';
const WRAPPER = 'temporal-test-server';
/** The fixed class, first on the class path (engine/test-server-patch.ts). */
const PATCHED_CLASSES = 'patched';

/**
 * Returns an executable that @temporalio/testing can start as `existing-path`: it resolves the Java
 * time-skipping test server from Maven Central into the cache and writes a wrapper around `java`.
 */
export async function ensureTestServerExecutable(
  cacheRoot: string,
  log: (line: string) => void,
): Promise<string> {
  const existing = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (existing) return requireExecutable(existing, 'TEMPORAL_TEST_SERVER_PATH');

  const dir = testServerDir(cacheRoot);
  const wrapper = path.join(dir, WRAPPER);
  if (fs.existsSync(path.join(dir, READY_MARKER)) && fs.existsSync(wrapper)) return wrapper;

  return withDirLock(dir, async () => {
    if (fs.existsSync(path.join(dir, READY_MARKER)) && fs.existsSync(wrapper)) return wrapper;
    requireTool('java', ['-version'], 'Java (needed to run the Temporal time-skipping test server)');
    requireTool('javac', ['-version'], 'A Java compiler (javac, needed to compile the test server fix)');
    requireTool('mvn', ['-v'], 'Maven (needed to fetch the Temporal test server from Maven Central)');
    log(`Resolving io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central…`);
    fs.writeFileSync(path.join(dir, 'pom.xml'), pomXml());
    fs.rmSync(path.join(dir, 'lib'), { recursive: true, force: true });
    await runBuildStep({
      label: 'mvn temporal-test-server',
      command: 'mvn',
      args: [
        '-B',
        '-q',
        '-f',
        'pom.xml',
        'dependency:copy-dependencies',
        '-DoutputDirectory=lib',
        '-DincludeScope=runtime',
      ],
      cwd: dir,
      timeoutMs: 20 * 60_000,
      log,
    });
    await buildPatchedClasses(dir, path.join(dir, PATCHED_CLASSES), log);
    fs.writeFileSync(wrapper, wrapperScript(), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, READY_MARKER), `${TEST_SERVER_VERSION} ${TEST_SERVER_PATCH}\n`);
    return wrapper;
  });
}

function pomXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.finetune-pipelines</groupId>
  <artifactId>temporal-test-server-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/**
 * @temporalio/testing starts a time-skipping server as `<exe> <port> [extraArgs…]` and stops it by
 * killing the process, so the wrapper accepts exactly that and `exec`s java so the kill reaches the JVM.
 * It does NOT add `--enable-time-skipping`: the SDK's client locks and unlocks time skipping itself,
 * and with the flag the lock count goes below zero, so the server skips time while a workflow task is
 * still running and every workflow task times out.
 */
function wrapperScript(): string {
  return `#!/usr/bin/env bash
set -euo pipefail
here="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
port="\${1:-}"
if [[ ! "$port" =~ ^[0-9]+$ ]]; then
  echo "usage: temporal-test-server <port> [extra TestServer arguments]" >&2
  exit 2
fi
shift
# Small heap and C1-only JIT: the server starts in about a second and stays light next to the tests.
exec java -Xms32m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \\
  -cp "$here/${PATCHED_CLASSES}:$here/lib/*" io.temporal.testserver.TestServer "$port" "$@"
`;
}
