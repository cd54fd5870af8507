import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

const history: unknown = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../histories/harness-two-naps.json'), 'utf8'),
);

describe('replaying a recorded history', () => {
  it('succeeds against the workflow code that recorded it', async () => {
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('../fixtures/workflows/harness-workflows') },
        history,
      ),
    ).resolves.toBeUndefined();
  });

  it('fails with a determinism violation when the code changed incompatibly', async () => {
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('../fixtures/workflows/harness-workflows-incompatible') },
        history,
      ),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
