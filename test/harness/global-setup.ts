import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureEngines } from '../../engine';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { devServerTuningArgs, startDevServer } from '../../engine/dev-server-tuning';
import { freePort } from '../../engine/free-port';
import { ensureDebianTool } from '../../scripts/debian-package';
import { writeTestWorkflowBundles } from './workflow-bundles';

declare global {
  // Held between jest's globalSetup and globalTeardown, which run in the same process.
  var __FTP_DEV_SERVER__: TestWorkflowEnvironment | undefined;
  var __FTP_TEST_BUNDLES_DIR__: string | undefined;
}

/**
 * The tests' dev server only: the server deletes a closed workflow's history (DeleteWorkflowExecution)
 * only once its close task is acknowledged, and it records acknowledgements every 30 s by default, so a
 * deletion took 0–35 s at random (test/workflows/protection-registry-loss.test.ts waits for one).
 * Every second, it takes about a second. What the tests check does not depend on it.
 */
const TEST_DEV_SERVER_ARGS = ['--dynamic-config-value', 'history.transferProcessorUpdateAckInterval="1s"'];

/**
 * Runs once per `jest` run: provisions the engines (cached), starts ONE dev server on a free port for
 * every test file, and tells test files where it is through environment variables.
 * Time-skipping servers are started per test file (see ./temporal.ts): time skipping is global to a
 * server, and the SDK advises one environment per test file when files run in parallel.
 */
export default async function globalSetup(): Promise<void> {
  const engines = await ensureEngines({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stderr.write(`\nengine provisioning: ${engines.seconds.toFixed(1)} s\n`);
  process.env.FTP_TEST_SERVER_PATH = engines.testServer;
  // The browser and promtool tests' tools, installed here once and in turn: two apt-get runs started by
  // test files side by side would fight over the package lock on a fresh machine.
  ensureDebianTool(['chromium', 'chromium-browser'], 'chromium');
  ensureDebianTool(['promtool'], 'prometheus');
  const bundling = Date.now();
  globalThis.__FTP_TEST_BUNDLES_DIR__ = await writeTestWorkflowBundles();
  process.stderr.write(`workflow bundles: ${((Date.now() - bundling) / 1000).toFixed(1)} s\n`);

  if (process.env.TEMPORAL_ADDRESS) {
    process.env.FTP_TEST_TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS;
    return;
  }
  // Its Prometheus metrics on a port the tests know: what the server did, not only what a history shows.
  const metricsPort = await freePort();
  const devServer = await startDevServer(engines.devServer!, {
    ip: '127.0.0.1',
    searchAttributes: CUSTOM_SEARCH_ATTRIBUTES,
    extraArgs: [...devServerTuningArgs(), ...TEST_DEV_SERVER_ARGS, '--metrics-port', String(metricsPort)],
  });
  globalThis.__FTP_DEV_SERVER__ = devServer;
  process.env.FTP_TEST_TEMPORAL_ADDRESS = devServer.address;
  process.env.FTP_TEST_TEMPORAL_METRICS = `http://127.0.0.1:${metricsPort}/metrics`;
}
