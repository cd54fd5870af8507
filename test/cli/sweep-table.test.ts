import { statusLines } from '../../src/cli/render';
import type { PipelineStatus } from '../../src/workflows/pipeline/contract';
import type { SweepStatus } from '../../src/workflows/sweep/contract';

const sweep: SweepStatus = {
  strategy: 'grid',
  parallel: 2,
  metric: 'validationLoss',
  direction: 'minimize',
  rungs: [1, 2],
  keep: 0.5,
  maxCost: 100,
  cost: 42.5,
  winner: 0,
  trials: [
    {
      index: 0,
      params: { 'training.learning_rate': 0.0001, 'parameters.rank': 64 },
      state: 'completed',
      jobId: 'job_a',
      epoch: 6,
      totalEpochs: 6,
      metric: 0.7,
      best: 0.6195,
      rungs: [
        { epoch: 1, value: 1.821, stop: false, rank: 1, of: 1, kept: 1 },
        { epoch: 2, value: 0.9451, stop: false, rank: 1, of: 1, kept: 1 },
      ],
    },
    {
      index: 1,
      params: { 'training.learning_rate': 0.001, 'parameters.rank': 64 },
      state: 'rung-stopped',
      jobId: 'job_b',
      epoch: 1,
      totalEpochs: 6,
      best: 1.8511,
      rungs: [{ epoch: 1, value: 1.8511, stop: true, rank: 2, of: 2, kept: 1 }],
    },
    {
      index: 2,
      params: { 'training.learning_rate': 0.01, 'parameters.rank': 64 },
      state: 'training',
      rungs: [],
    },
  ],
};

describe('the trials table in status', () => {
  it('one row per trial: params, state, epoch, metric (the best once ended), rung verdicts, job', () => {
    const status: PipelineStatus = {
      phase: 'training',
      provider: 'tensorone',
      pinned: [],
      updatedAt: '',
      sweep,
    };
    expect(statusLines('pipeline-s', status).join('\n')).toBe(
      [
        'pipeline-s  phase: training',
        '  sweep: grid, 3 trials, 2 at a time, halving at epochs 1/2 keeping 0.5; cost $42.50 of $100.00; deploying trial 0',
        '    trial  params                        state         epoch  validationLoss  rungs                    job',
        '    0      learning_rate=0.0001 rank=64  completed     6/6    0.6195          e1 1.821 ✓  e2 0.9451 ✓  job_a',
        '    1      learning_rate=0.001 rank=64   rung-stopped  1/6    1.8511          e1 1.8511 ✗ #2 (1/2 on)  job_b',
        '    2      learning_rate=0.01 rank=64    training      -/-    -                                        -',
      ].join('\n'),
    );
  });

  it('a trial paused at a rung shows its rank so far of the trials there and to come; a promoted one awaits a slot', () => {
    const paused: SweepStatus = {
      ...sweep,
      winner: undefined,
      trials: [
        {
          index: 0,
          params: { 'training.learning_rate': 0.0001 },
          state: 'paused',
          epoch: 1,
          totalEpochs: 6,
          rungs: [{ epoch: 1, value: 1.5, stop: false, rank: 2, of: 4, kept: 2, waiting: true }],
        },
        {
          index: 1,
          params: { 'training.learning_rate': 0.001 },
          state: 'promoted',
          epoch: 1,
          totalEpochs: 6,
          rungs: [{ epoch: 1, value: 1.2, stop: false, rank: 1, of: 4, kept: 2 }],
        },
      ],
    };
    const status: PipelineStatus = {
      phase: 'training',
      provider: 'tensorone',
      pinned: [],
      updatedAt: '',
      sweep: paused,
    };
    const lines = statusLines('pipeline-s', status);
    expect(lines.find((l) => l.includes('learning_rate=0.0001'))).toMatch(
      /paused\s+1\/6\s+-\s+e1 1\.5 … #2 \(2\/4 on\)/,
    );
    expect(lines.find((l) => l.includes('learning_rate=0.001 '))).toMatch(/promoted\s+1\/6\s+-\s+e1 1\.2 ✓/);
  });

  it('the metric column: a trial under way shows its latest look and its best seen when better; one that ended without a best shows its best seen', () => {
    const rows: SweepStatus['trials'] = [
      {
        index: 0,
        params: { 'training.learning_rate': 0.0001 },
        state: 'training',
        metric: 0.71,
        bestSeen: 0.65,
        rungs: [],
      },
      {
        index: 1,
        params: { 'training.learning_rate': 0.001 },
        state: 'training',
        metric: 0.8,
        bestSeen: 0.8,
        rungs: [],
      },
      {
        index: 2,
        params: { 'training.learning_rate': 0.01 },
        state: 'cancelled',
        metric: 0.9,
        bestSeen: 0.62,
        rungs: [],
      },
      { index: 3, params: { 'training.learning_rate': 0.1 }, state: 'failed', rungs: [] },
    ];
    const status: PipelineStatus = {
      phase: 'training',
      provider: 'tensorone',
      pinned: [],
      updatedAt: '',
      sweep: { ...sweep, winner: undefined, trials: rows },
    };
    const lines = statusLines('pipeline-s', status);
    const row = (lr: string) =>
      lines.find((l) => l.includes(`learning_rate=${lr} `) || l.endsWith(`learning_rate=${lr}`))!;
    expect(row('0.0001')).toMatch(/training\s+-\/-\s+0\.71 \(best 0\.65\)/);
    expect(row('0.001')).toMatch(/training\s+-\/-\s+0\.8\s/);
    expect(row('0.01')).toMatch(/cancelled\s+-\/-\s+0\.62\s/);
    expect(row('0.1')).toMatch(/failed\s+-\/-\s+-/);
  });
});
