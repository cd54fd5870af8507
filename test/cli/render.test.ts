import { followPipeline } from '../../src/cli/follow';
import { withLatestLook } from '../../src/cli/latest-look';
import { ageText, costText, resultLines, statusLines } from '../../src/cli/render';
import type { PipelineResult, PipelineStatus } from '../../src/workflows/pipeline/contract';

const base: PipelineStatus = {
  phase: 'deploying',
  provider: 'tensorone',
  pinned: [],
  updatedAt: '2026-11-26T20:00:00Z',
};

describe('starter status: the probe before promotion', () => {
  it('a failed probe says which threshold broke and both endpoints’ figures', () => {
    const lines = statusLines('pipeline-p', {
      ...base,
      phase: 'failed',
      probe: {
        passed: false,
        reasons: ["p95 latency 320 ms is more than 100 ms above the champion's 4 ms"],
        summary: 'challenger 0/3 failed, p95 320 ms; champion 0/3 failed, p95 4 ms',
        champion: 'ep_1',
      },
    });
    expect(lines).toContain(
      "  probe: not passed — p95 latency 320 ms is more than 100 ms above the champion's 4 ms; challenger 0/3 failed, p95 320 ms; champion 0/3 failed, p95 4 ms",
    );
  });
  it('a passed probe shows its figures; no probe, no line', () => {
    const passed = statusLines('pipeline-p', {
      ...base,
      probe: { passed: true, reasons: [], summary: 'challenger 0/3 failed, p95 5 ms' },
    });
    expect(passed).toContain('  probe: passed — challenger 0/3 failed, p95 5 ms');
    expect(statusLines('pipeline-p', base).some((l) => l.includes('probe'))).toBe(false);
  });
});

describe('live figures: fresh, or marked stale with their age; no ETA once a job has ended', () => {
  const training = {
    jobId: 'job_1',
    status: 'running',
    rawStatus: 'running',
    epoch: 3,
    totalEpochs: 8,
    metrics: { loss: 0.5 },
    checkpointsSeen: 2,
    resumes: 0,
    polls: 9,
    runs: 1,
    cost: 4.55,
    eta: '2026-11-26T21:00:00Z',
    updatedAt: '2026-11-26T20:10:00Z',
  };
  const now = Date.parse('2026-11-26T20:10:05Z');

  it('a cost read with the rest of the figures is shown as it is; one read earlier says how long ago', () => {
    expect(costText({ ...training, costAt: training.updatedAt }, now)).toBe('$4.55');
    expect(costText({ ...training, costAt: undefined }, now)).toBe('$4.55');
    expect(costText({ ...training, costAt: '2026-11-26T20:07:45Z' }, now)).toBe(
      '$4.55 (stale: read 2m 20s ago)',
    );
    // Read a moment before figures that came from an older sweep: as fresh as they are.
    expect(
      costText({ ...training, readAt: '2026-11-26T20:09:00Z', costAt: '2026-11-26T20:09:00Z' }, now),
    ).toBe('$4.55');
    expect(costText(undefined, now)).toBe('-');
  });

  it('status shows the ETA of a running job and none of a completed one', () => {
    const running = statusLines('pipeline-p', { ...base, phase: 'training', training });
    expect(running.join('\n')).toContain('eta 2026-11-26T21:00:00Z');
    const done = statusLines('pipeline-p', {
      ...base,
      phase: 'comparing',
      training: { ...training, status: 'completed', epoch: 8, eta: '2026-11-26T20:09:00Z' },
    });
    expect(done.join('\n')).not.toContain('eta');
  });

  it('a pipeline that ended shows its last look as such, no ETA and no fleet-budget wait', () => {
    const ended = statusLines('pipeline-p', {
      ...base,
      phase: 'completed',
      fleetBudget: 'reserved: fleet at $568 of $600 today',
      training,
    }).join('\n');
    expect(ended).toContain('  training (its last look): running epoch 3/8');
    expect(ended).not.toContain('eta');
    expect(ended).not.toContain('fleet budget');
    const waiting = statusLines('pipeline-p', {
      ...base,
      phase: 'awaiting-budget',
      fleetBudget: 'awaiting budget: fleet at $500 of $600 today',
    }).join('\n');
    expect(waiting).toContain('  fleet budget: awaiting budget: fleet at $500 of $600 today');
  });

  it('the look laid over the status brings its cost time; a look without cost marks the report’s as old', () => {
    const look = { status: 'running' as const, epoch: 4, loss: 0.4, at: '2026-11-26T20:11:00Z' };
    expect(withLatestLook(training, { ...look, cost: 5, costAt: '2026-11-26T20:05:00Z' })).toMatchObject({
      cost: 5,
      costAt: '2026-11-26T20:05:00Z',
    });
    const merged = withLatestLook(training, look)!;
    expect(merged).toMatchObject({ cost: 4.55, costAt: training.updatedAt, updatedAt: look.at });
    expect(costText(merged, Date.parse('2026-11-26T20:11:00Z'))).toBe('$4.55 (stale: read 1m 0s ago)');
    expect(withLatestLook(training, { ...look, status: 'completed' })!.eta).toBeUndefined();
  });

  it('ages: seconds, minutes, hours', () => {
    expect(ageText(0)).toBe('0s');
    expect(ageText(59_400)).toBe('59s');
    expect(ageText(60_000)).toBe('1m 0s');
    expect(ageText(3_600_000)).toBe('1h 0m');
    expect(ageText(-5)).toBe('0s');
  });
});

describe('starter run: a pipeline that waits at its gate says what to type next, once', () => {
  it('prints the approve and reject commands with the candidate the first time it waits, and never again', async () => {
    const waiting: PipelineStatus = {
      ...base,
      phase: 'awaiting-approval',
      awaitingApprovalUntil: '2026-11-27T20:00:00Z',
      candidate: { checkpointId: 'ckpt_a_e4', epoch: 4, metric: 'validationLoss', value: 0.41 },
    } as PipelineStatus;
    const phases: PipelineStatus[] = [{ ...base, phase: 'gating' }, waiting, waiting, waiting];
    let finish: (v: unknown) => void = () => undefined;
    const handle = {
      workflowId: 'pipeline-gated',
      client: {},
      query: async () => phases.shift() ?? waiting,
      result: () => new Promise((resolve) => (finish = resolve)),
    };
    const lines: string[] = [];
    const following = followPipeline(handle as never, {
      interactive: false,
      intervalMs: 5,
      write: (line) => lines.push(line),
    });
    while (phases.length) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    finish({ provider: 'tensorone' });
    await following;
    const hints = lines.filter((l) => l.includes('starter approve'));
    expect(hints).toEqual([
      [
        '',
        'awaiting approval until 2026-11-27T20:00:00Z:',
        '  approve: npx starter approve pipeline-gated --checkpoint ckpt_a_e4',
        '  reject:  npx starter reject pipeline-gated --reason "…"',
        '',
      ].join('\n'),
    ]);
  });
});

describe('starter run: the result of a job its cost budget stopped', () => {
  const result: PipelineResult = {
    outcome: 'deployed',
    provider: 'tensorone',
    jobId: 'job_1',
    checkpoint: {
      checkpointId: 'ckpt_1_e3',
      type: 'automatic',
      metric: 'validationLoss',
      value: 0.51,
      metrics: { validationLoss: 0.51 },
    },
    deployment: { target: 'tensorone-endpoint', id: 'ep_1', status: 'active' },
    deletedCheckpoints: [],
    bytesReclaimed: 0,
    cost: 12.5,
    resumes: 0,
    budgetStopped: true,
  };
  it('says the budget stopped training, at what cost, beside the checkpoint it deployed', () => {
    expect(resultLines(result)).toContain(
      'training stopped at its cost budget (budget.maxCost) with a saved checkpoint, at $12.50: the checkpoint is the best of the epochs trained',
    );
  });
  it('a job that trained all its epochs says nothing of a budget', () => {
    expect(resultLines({ ...result, budgetStopped: false }).join('\n')).not.toContain('budget');
  });
});
