import path from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

/** The module that exports every workflow the worker runs. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Worker options naming the workflow code: a prebuilt bundle when given, else bundled with webpack at start. */
export function workflowCode(bundlePath?: string): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  return bundlePath
    ? { workflowBundle: { codePath: path.resolve(bundlePath) } }
    : { workflowsPath: WORKFLOWS_PATH };
}
