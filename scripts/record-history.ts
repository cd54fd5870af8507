/**
 * Records a workflow history for the replay tests in test/histories/.
 *   tsx scripts/record-history.ts <workflows module> <workflow type> <out.json> [args as JSON array]
 * Runs the workflow to completion on a time-skipping test server and writes the history as JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import { recordedHistoryJSON } from './history-json';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ensureEngines } from '../engine';

async function main(): Promise<void> {
  const [moduleArg, workflowType, outFile, argsJson] = process.argv.slice(2);
  if (!moduleArg || !workflowType || !outFile) {
    throw new Error('usage: record-history.ts <workflows module> <workflow type> <out.json> [args JSON]');
  }
  const { testServer } = await ensureEngines({ devServer: false });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServer } },
  });
  try {
    const taskQueue = `record-${workflowType}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: path.resolve(moduleArg),
    });
    const handle = await env.client.workflow.start(workflowType, {
      taskQueue,
      workflowId: `record-${workflowType}`,
      workflowExecutionTimeout: '3650 days',
      args: argsJson ? (JSON.parse(argsJson) as unknown[]) : [],
    });
    await worker.runUntil(handle.result());
    const history = await handle.fetchHistory();
    // Same JSON as `temporal workflow show --output json`, so histories from a real cluster fit here too.
    fs.writeFileSync(outFile, recordedHistoryJSON(history));
    process.stderr.write(`wrote ${history.events?.length ?? 0} events to ${outFile}\n`);
  } finally {
    await env.teardown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
