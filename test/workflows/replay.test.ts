import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { testWorkflowCodeWithProviderQueues } from '../harness/workflow-bundles';

// Every recorded history of the product's workflows replays against the current code: a change that
// would break running workflows fails here (guard real changes with patched()). Replayed as the
// worker process runs them: with the interceptor that puts provider activities on provider queues.
const production = testWorkflowCodeWithProviderQueues();
const dir = path.join(__dirname, '../histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('harness-'));

describe('recorded workflow histories replay against the current code', () => {
  it('has a history of each workflow', () => {
    expect(files.some((f) => f.startsWith('pipeline-'))).toBe(true);
    expect(files.some((f) => f.startsWith('supervise-'))).toBe(true);
    expect(files.some((f) => f.startsWith('cleanup-'))).toBe(true);
    expect(files.some((f) => f.startsWith('serving-slot-'))).toBe(true);
  });

  it('names no folder of the machine it was recorded on: stack traces read /repo', () => {
    const folders = new Set<string>();
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const m of text.matchAll(/\((\/[^()\s]*?)\/(?:node_modules|src|dist)\//g))
        folders.add(`${file}: ${m[1]}`);
    }
    expect([...folders].filter((f) => !f.endsWith(': /repo'))).toEqual([]);
  });

  it.each(files)('%s', async (file) => {
    const history: unknown = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    await expect(
      Worker.runReplayHistory(production, history, file.replace(/\.json$/, '')),
    ).resolves.toBeUndefined();
  });
});
