import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import { workflowCode } from '../../src/config/workflow-code';
import { defaultWorkerSettings } from '../../src/worker-factory';
import { PROVIDER_QUEUE_INTERCEPTORS } from '../../src/provider-rate/workers';
import { writeWorkflowBundle } from '../../scripts/bundle-workflows';

/**
 * The product's workflows bundled once per jest run (globalSetup), as production runs them from
 * `npm run build`'s bundle. A worker given the workflows' path bundles them with webpack as it starts:
 * seconds of CPU for each of the suite's hundreds of workers. Two bundles: one with the interceptor that
 * puts provider activities on provider queues built in (what the worker process runs), one without.
 * A test file run without the global setup bundles at start as before.
 */
const PLAIN = 'FTP_TEST_WORKFLOW_BUNDLE';
const WITH_PROVIDER_QUEUES = 'FTP_TEST_WORKFLOW_BUNDLE_PROVIDER_QUEUES';

/** Writes both bundles to a directory of their own and names them in the environment; returns the directory. */
export async function writeTestWorkflowBundles(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-test-bundles-'));
  const plain = path.join(dir, 'workflow-bundle.js');
  const withQueues = path.join(dir, 'workflow-bundle-provider-queues.js');
  await writeWorkflowBundle(plain, { providerQueues: false });
  await writeWorkflowBundle(withQueues, { providerQueues: true });
  process.env[PLAIN] = plain;
  process.env[WITH_PROVIDER_QUEUES] = withQueues;
  return dir;
}

/** The bundle for a worker with (or without) provider queues, when the global setup wrote one. */
export function testWorkflowBundle(providerQueues = false): string | undefined {
  const file = process.env[providerQueues ? WITH_PROVIDER_QUEUES : PLAIN];
  return file && fs.existsSync(file) ? file : undefined;
}

/** `Worker.create` options naming the product's workflows, without provider queues. */
export function testWorkflowCode(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return workflowCode(testWorkflowBundle(false));
}

/** The same, as the worker process runs them: provider activities on provider queues. */
export function testWorkflowCodeWithProviderQueues(): Pick<
  WorkerOptions,
  'workflowBundle' | 'workflowsPath' | 'interceptors'
> {
  const bundle = testWorkflowBundle(true);
  return bundle
    ? workflowCode(bundle)
    : { ...workflowCode(), interceptors: { workflowModules: [PROVIDER_QUEUE_INTERCEPTORS] } };
}

/** The worker factory's default settings, running the bundle that fits `providerQueues`. */
export function testWorkerSettings(providerQueues = false): ReturnType<typeof defaultWorkerSettings> {
  const bundle = testWorkflowBundle(providerQueues);
  return { ...defaultWorkerSettings(), ...(bundle ? { WORKER_WORKFLOW_BUNDLE: bundle } : {}) };
}

/**
 * The environment that has a worker process (`src/worker.ts`, provider queues always on) run the
 * global setup's bundle instead of bundling the workflows with webpack as it starts; empty without one.
 */
export function workerBundleEnv(): { WORKER_WORKFLOW_BUNDLE?: string } {
  const bundle = testWorkflowBundle(true);
  return bundle ? { WORKER_WORKFLOW_BUNDLE: bundle } : {};
}
