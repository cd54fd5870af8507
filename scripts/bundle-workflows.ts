/**
 * `npm run build` step: bundles the workflows once, as the `production` sample does, so a worker
 * started with WORKER_WORKFLOW_BUNDLE=dist/workflow-bundle.js skips webpack at start (seconds of CPU
 * and about 200 MiB more resident memory for the life of the process).
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/config/workflow-code';
import { PROVIDER_QUEUE_INTERCEPTORS } from '../src/provider-rate/workers';

export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../dist/workflow-bundle.js');

const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

/**
 * Writes the workflow bundle to `file` and returns its size in bytes. With `providerQueues` (the
 * worker process's form) the interceptor that puts provider activities on provider queues is built in.
 */
export async function writeWorkflowBundle(
  file = WORKFLOW_BUNDLE_PATH,
  { providerQueues = true }: { providerQueues?: boolean } = {},
): Promise<number> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // What src/worker.ts installs when it bundles at start: provider activities on provider queues.
    ...(providerQueues ? { workflowInterceptorModules: [PROVIDER_QUEUE_INTERCEPTORS] } : {}),
    logger: silent,
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
  return code.length;
}

if (require.main === module)
  writeWorkflowBundle()
    .then((bytes) =>
      process.stdout.write(
        `workflow bundle: ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)} (${(bytes / 1024 ** 2).toFixed(2)} MiB)\n`,
      ),
    )
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
