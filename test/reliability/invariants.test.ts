import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import {
  checkInvariants,
  INVARIANTS,
  type EndState,
  type PipelineEnd,
  type SupervisionEnd,
} from '../../chaos/invariants';
import { supervisionOf } from '../../chaos/supervision-history';
import type { AdminState } from '../../sandbox/admin-routes';
import type { ToldLie } from '../../sandbox/adversary';
import { faultConfigSchema } from '../../sandbox/faults';
import { SandboxState } from '../../sandbox/state';
import type { SlotState } from '../../src/decisions/serving-slot';
import type { PipelineResult } from '../../src/workflows/pipeline/contract';

/** The invariant checks, each against an end state that keeps it and one that breaks it. */
const T0 = Date.parse('2026-12-01T10:00:00Z');
const GiB = 1024 ** 3;

type Job = AdminState['jobs'][number];
const job = (over: Partial<Job> = {}): Job => ({
  id: 'job_a1',
  name: 'pipeline-p--run1',
  status: 'completed',
  completedEpochs: 5,
  totalEpochs: 5,
  gpuType: 'a100',
  cost: 1,
  gpuSeconds: 5 * 3600,
  createdAt: T0,
  endedAt: T0 + 5_000,
  advancing: [{ from: T0, until: T0 + 5_000 }],
  ...over,
});

function provider(over: Partial<AdminState> = {}): AdminState {
  return {
    now: new Date(T0).toISOString(),
    options: { epochMs: 1000, queueMs: 0, deployMs: 0, seed: 1 },
    faults: {} as AdminState['faults'],
    jobs: [job()],
    checkpoints: [{ id: 'ckpt_a1_e5', jobId: 'job_a1', type: 'automatic', epoch: 5, sizeBytes: 2 * GiB }],
    deletedCheckpoints: [],
    deletedDeployments: [],
    endpoints: [
      {
        id: 'ep_1',
        name: 'pipeline-p--run1',
        kind: 'endpoint',
        checkpointId: 'ckpt_a1_e5',
        modelId: undefined,
      },
    ],
    meshModels: [],
    registry: [],
    creations: {
      jobs: {},
      endpoints: {},
      deployments: {},
      meshModels: {},
      versions: {},
      manualCheckpoints: {},
    },
    adversary: undefined,
    ...over,
  } as AdminState;
}

const result = (over: Partial<PipelineResult> = {}): PipelineResult => ({
  outcome: 'deployed',
  jobId: 'job_a1',
  provider: 'tensorone',
  checkpoint: {
    checkpointId: 'ckpt_a1_e5',
    type: 'automatic',
    metric: 'validationLoss',
    value: 1,
    metrics: {},
  },
  deployment: { target: 'tensorone-endpoint', id: 'ep_1', status: 'ready' },
  deletedCheckpoints: [],
  bytesReclaimed: 0,
  resumes: 0,
  budgetStopped: false,
  ...over,
});

const pipeline = (over: Partial<PipelineEnd> = {}): PipelineEnd => ({
  workflowId: 'pipeline-p',
  name: 'p',
  closeStatus: 'COMPLETED',
  closedAt: T0 + 10_000,
  result: result(),
  steps: ['startTrainingJob done', 'completed'],
  ...over,
});

const slot = (over: Partial<SlotState> = {}): SlotState => ({
  name: 'p',
  champion: {
    target: 'tensorone-endpoint',
    deploymentId: 'ep_1',
    checkpointId: 'ckpt_a1_e5',
    jobId: 'job_a1',
    workflowId: 'pipeline-p',
    runId: 'r1',
    since: new Date(T0 + 9_000).toISOString(),
  },
  draining: [],
  retiring: [],
  retired: [],
  history: [{ at: new Date(T0 + 9_000).toISOString(), kind: 'promoted', deploymentId: 'ep_1' }],
  ...over,
});

const lie = (over: Partial<ToldLie>): ToldLie => ({ kind: 'statusFlip', route: 'GET /x', at: T0, ...over });
const withLies = (lies: ToldLie[]): AdminState['adversary'] => ({
  seed: 1,
  catalogue: {},
  liesByKind: {},
  lies,
});

function end(over: Partial<EndState> = {}): EndState {
  return {
    seed: 1,
    profile: 'extended',
    provider: provider(),
    pipelines: [pipeline()],
    slots: [{ name: 'p', state: slot() }],
    operator: { pins: [], retired: [] },
    texts: [],
    secrets: ['sk-secret-123'],
    ...over,
  };
}

const ids = (e: EndState) => checkInvariants(e).map((v) => v.invariant);

describe('the invariants', () => {
  it('a healthy end state violates none', () => {
    expect(checkInvariants(end())).toEqual([]);
  });

  it('I1: deployed while the job trains, or before it ended, is a violation with the lies told about the job', () => {
    const running = end({
      provider: {
        ...provider({
          jobs: [job({ status: 'running', completedEpochs: 4, totalEpochs: 20, endedAt: undefined })],
        }),
        adversary: withLies([lie({ resource: 'job_a1', detail: 'completed' })]),
      },
    });
    const [v] = checkInvariants(running);
    expect(v).toMatchObject({ invariant: 'I1', subject: 'pipeline-p' });
    expect(v.what).toContain('running at epoch 4 of 20');
    expect(v.events[0]).toContain('lie statusFlip on GET /x (job_a1): completed');
    expect(v.events).toContain('pipeline-p: startTrainingJob done');
    // Ended one second after the workflow closed: it was running when the pipeline said deployed.
    expect(ids(end({ provider: provider({ jobs: [job({ endedAt: T0 + 11_000 })] }) }))).toEqual(['I1']);
    expect(ids(end({ provider: provider({ jobs: [job({ endedAt: T0 + 10_000 })] }) }))).toEqual([]);
  });

  it('I2: another job’s checkpoint, or an endpoint serving another, is a violation', () => {
    const other = end({
      provider: provider({
        checkpoints: [{ id: 'ckpt_b2_e5', jobId: 'job_b2', type: 'automatic', epoch: 5, sizeBytes: GiB }],
        endpoints: [
          {
            id: 'ep_1',
            name: 'pipeline-p--run1',
            kind: 'endpoint',
            checkpointId: 'ckpt_b2_e5',
            modelId: undefined,
          },
        ],
      }),
      pipelines: [
        pipeline({
          result: result({
            checkpoint: { checkpointId: 'ckpt_b2_e5', type: 'automatic', metric: 'm', value: 1, metrics: {} },
          }),
        }),
      ],
      slots: [],
    });
    expect(checkInvariants(other).map((v) => v.what)).toEqual(['checkpoint ckpt_b2_e5 is not of job job_a1']);
    const serves = end({
      provider: provider({
        endpoints: [
          {
            id: 'ep_1',
            name: 'pipeline-p--run1',
            kind: 'endpoint',
            checkpointId: 'ckpt_a1_e4',
            modelId: undefined,
          },
        ],
      }),
    });
    expect(checkInvariants(serves).map((v) => v.what)).toEqual(['ep_1 serves ckpt_a1_e4, not ckpt_a1_e5']);
  });

  it('I3: a deletion inside a pin’s window, or while its deployment serves, is a violation; before the pin or after the deployment is gone, none', () => {
    const deleted = (at: number) =>
      provider({
        deletedCheckpoints: [
          {
            id: 'ckpt_a1_e1',
            jobId: 'job_a1',
            type: 'automatic',
            sizeBytes: GiB,
            shownSize: '1.0GB',
            deletedAt: at,
          },
        ],
      });
    const pins = [{ workflowId: 'pipeline-p', checkpointId: 'ckpt_a1_e1', at: T0 + 2_000 }];
    expect(ids(end({ provider: deleted(T0 + 3_000), operator: { pins, retired: [] } }))).toEqual(['I3']);
    expect(ids(end({ provider: deleted(T0 + 1_000), operator: { pins, retired: [] } }))).toEqual([]);
    // The deployed checkpoint is in use until the provider deleted its deployment, not after.
    const afterRetirement = (endpointGoneAt: number) =>
      end({
        provider: {
          ...provider({ endpoints: [] }),
          deletedCheckpoints: [
            {
              id: 'ckpt_a1_e5',
              jobId: 'job_a1',
              type: 'automatic',
              sizeBytes: GiB,
              shownSize: '1.0GB',
              deletedAt: T0 + 30_000,
            },
          ],
          deletedDeployments: [{ id: 'ep_1', deletedAt: endpointGoneAt }],
        },
        slots: [],
      });
    expect(ids(afterRetirement(T0 + 20_000))).toEqual([]);
    expect(checkInvariants(afterRetirement(T0 + 40_000)).map((v) => v.what)).toEqual([
      'deleted at 2026-12-01T10:00:30.000Z while deployed by pipeline-p as ep_1 (in use from its start until 2026-12-01T10:00:40.000Z)',
    ]);
  });

  it('I4: a job left running with its run ended, and an endpoint no one names, are violations; one named for removal by hand is not', () => {
    const left = end({
      provider: provider({
        jobs: [job(), job({ id: 'job_z9', name: 'pipeline-q--x', status: 'running', endedAt: undefined })],
        endpoints: [
          ...provider().endpoints,
          { id: 'ep_9', name: 'pipeline-q--x', kind: 'endpoint', checkpointId: 'c', modelId: undefined },
        ],
      }),
      pipelines: [
        pipeline(),
        pipeline({ workflowId: 'pipeline-q', name: 'q', closeStatus: 'FAILED', result: undefined }),
      ],
    });
    expect(checkInvariants(left).map((v) => [v.invariant, v.subject])).toEqual([
      ['I4', 'job_z9'],
      ['I4', 'ep_9'],
    ]);
    const named = {
      ...left,
      pipelines: [
        pipeline(),
        pipeline({
          workflowId: 'pipeline-q',
          name: 'q',
          closeStatus: 'FAILED',
          result: undefined,
          last: {
            stoppedJobs: ['job_z9'],
            deployment: { removeByHand: 'ep_9 must be removed by hand' },
          } as never,
        }),
      ],
      provider: {
        ...left.provider,
        jobs: [job(), job({ id: 'job_z9', name: 'pipeline-q--x', status: 'stopped' })],
      },
    };
    expect(checkInvariants(named)).toEqual([]);
  });

  it('I5: a champion gone before it became champion again is a violation; one deleted by hand while it served is not', () => {
    const gone = (at: number) =>
      end({
        provider: {
          ...provider({ endpoints: [] }),
          adversary: withLies([lie({ kind: 'deletedByHand', resource: 'ep_1', at })]),
        },
        pipelines: [],
      });
    expect(ids(gone(T0 + 1_000))).toEqual(['I5']);
    expect(ids(gone(T0 + 20_000))).toEqual([]);
    expect(ids(end({ slots: [{ name: 'p', state: slot({ champion: undefined }) }] }))).toEqual(['I5']);
  });

  it('I6: two endpoints of one name, one unreported, is a violation', () => {
    const twice = end({
      provider: provider({
        endpoints: [
          ...provider().endpoints,
          {
            id: 'ep_2',
            name: 'pipeline-p--run1',
            kind: 'endpoint',
            checkpointId: 'ckpt_a1_e5',
            modelId: undefined,
          },
        ],
      }),
    });
    expect(ids(twice)).toContain('I6');
    const told = {
      ...twice,
      pipelines: [
        pipeline({ result: result({ possibleDuplicates: ['tensorone-endpoint named pipeline-p--run1'] }) }),
      ],
    };
    expect(ids(told)).not.toContain('I6');
  });

  it('I7: more requests in one second than the limit × the documented burst is a violation', () => {
    const times = (n: number) => Array.from({ length: n }, (_, i) => T0 + i * 10);
    expect(ids(end({ rateLimit: { maxRps: 2, requestTimes: times(2) } }))).toEqual([]);
    expect(ids(end({ rateLimit: { maxRps: 2, requestTimes: times(3) } }))).toEqual(['I7']);
  });

  it('I8: a secret in any text is a violation naming the text', () => {
    const v = checkInvariants(end({ texts: [{ source: 'worker log', text: 'auth sk-secret-123' }] }));
    expect(v.map((x) => [x.invariant, x.subject])).toEqual([['I8', 'worker log']]);
  });

  it('I9: bytes reported that the provider did not show, or a total that is not the sum, are violations', () => {
    const deletedAt = T0 + 5_000;
    const shown = provider({
      deletedCheckpoints: [
        {
          id: 'ckpt_a1_e1',
          jobId: 'job_a1',
          type: 'automatic',
          sizeBytes: 2_254_000_000,
          shownSize: '2.1GB',
          deletedAt,
        },
      ],
    });
    const reported = (bytes: number, total = bytes) =>
      pipeline({
        result: result({
          deletedCheckpoints: [
            {
              jobId: 'job_a1',
              checkpointId: 'ckpt_a1_e1',
              type: 'automatic',
              reason: 'retention' as never,
              bytes,
            },
          ],
          bytesReclaimed: total,
        }),
      });
    // What the provider shows (2.1 GB) is what a client can count.
    expect(ids(end({ provider: shown, pipelines: [reported(Math.round(2.1 * GiB))] }))).toEqual([]);
    expect(ids(end({ provider: shown, pipelines: [reported(2 * GiB)] }))).toEqual(['I9']);
    expect(ids(end({ provider: shown, pipelines: [reported(Math.round(2.1 * GiB), 0)] }))).toEqual(['I9']);
  });

  describe('I10: a stop for a stall is judged against the job’s true progress in the stallAfter before it', () => {
    // The job's steps froze at T0 + 20 s (a stall fault); its supervision (stallAfter 10s, freshness
    // 1s) stopped it at `at`.
    const STALLED = T0 + 20_000;
    const stalledJob = job({
      status: 'stopped',
      completedEpochs: 2,
      totalEpochs: 8,
      endedAt: T0 + 40_000,
      advancing: [{ from: T0, until: STALLED }],
    });
    const stop = (
      at: number,
      summary = 'stop job job_a1, saving a checkpoint: stalled: no step progress',
    ) => ({
      at,
      jobId: 'job_a1',
      summary,
      outcome: 'stopped' as const,
    });
    const supervision = (stops: SupervisionEnd['stops']): SupervisionEnd => ({
      workflowId: 'pipeline-p--supervise',
      jobId: 'job_a1',
      stallAfter: '10s',
      stallAfterMs: 10_000,
      freshnessMs: 1_000,
      stops,
    });
    const stopped = (s: SupervisionEnd['stops'], toldLies: ToldLie[] = [], j: Job = stalledJob) =>
      end({
        provider: { ...provider({ jobs: [j] }), adversary: withLies(toldLies) },
        pipelines: [pipeline({ result: undefined, closeStatus: 'RUNNING', closedAt: undefined })],
        slots: [],
        supervisions: [supervision(s)],
      });
    const freeze = (at: number, resource = 'job_a1') =>
      lie({ kind: 'stepFreeze', route: 'GET /tensorone/v2/training/jobs', resource, at, detail: '1000' });

    it('stopped exactly stallAfter after the last advance keeps it; a millisecond sooner breaks it', () => {
      expect(checkInvariants(stopped([stop(STALLED + 10_000)]))).toEqual([]);
      const [v, ...more] = checkInvariants(stopped([stop(STALLED + 9_999)]));
      expect(more).toEqual([]);
      expect(v).toMatchObject({ invariant: 'I10', subject: 'job_a1' });
      expect(v.what).toBe(
        'stopped for a stall by pipeline-p--supervise at 2026-12-01T10:00:29.999Z (stallAfter 10s), but its steps advanced until 2026-12-01T10:00:20.000Z, 9999 ms before the stop; no step lie about it since 2026-12-01T10:00:18.999Z',
      );
      expect(v.events.slice(0, 2)).toEqual([
        'job_a1 advanced from 2026-12-01T10:00:00.000Z until 2026-12-01T10:00:20.000Z',
        'pipeline-p--supervise at 2026-12-01T10:00:29.999Z: stop job job_a1, saving a checkpoint: stalled: no step progress (stopped)',
      ]);
    });

    it('a job still advancing when it was stopped, or advancing again after a resume before the stop, is a violation', () => {
      const moving = job({ status: 'running', endedAt: undefined, advancing: [{ from: T0 }] });
      expect(ids(stopped([stop(T0 + 60_000)], [], moving))).toEqual(['I10']);
      const resumed = job({ advancing: [{ from: T0, until: STALLED }, { from: T0 + 45_000 }] });
      // The second stall stop came 5 s after the resumed job ran again: it was moving.
      expect(ids(stopped([stop(STALLED + 10_000), stop(T0 + 50_000)], [], resumed))).toEqual(['I10']);
      // A segment that starts after the stop says nothing about it.
      expect(ids(stopped([stop(STALLED + 10_000)], [], resumed))).toEqual([]);
    });

    it('a step lie about the job from stallAfter + freshness before the stop keeps it: the supervision judged what it was answered', () => {
      const at = STALLED + 2_000;
      expect(ids(stopped([stop(at)], [freeze(at - 500)]))).toEqual([]);
      expect(ids(stopped([stop(at)], [freeze(at - 11_000)]))).toEqual([]);
      expect(ids(stopped([stop(at)], [lie({ kind: 'stepWobble', resource: 'job_a1', at })]))).toEqual([]);
      expect(ids(stopped([stop(at)], [lie({ kind: 'stepReset', resource: 'job_a1', at })]))).toEqual([]);
      // Too early, about another job, after the stop, or a lie that is not about steps: judged.
      expect(ids(stopped([stop(at)], [freeze(at - 11_001)]))).toEqual(['I10']);
      expect(ids(stopped([stop(at)], [freeze(at - 500, 'job_b2')]))).toEqual(['I10']);
      expect(ids(stopped([stop(at)], [freeze(at + 1)]))).toEqual(['I10']);
      expect(ids(stopped([stop(at)], [lie({ resource: 'job_a1', at, detail: 'stopped' })]))).toEqual(['I10']);
    });

    it('a stop for another reason, or one the provider refused, is not judged', () => {
      const at = STALLED + 2_000;
      expect(
        ids(stopped([stop(at, 'stop job job_a1, saving a checkpoint: cost budget 500 reached (512)')])),
      ).toEqual([]);
      expect(ids(stopped([stop(at, 'reason: supervision failed: UNKNOWN_JOB_STATUS')]))).toEqual([]);
      expect(ids(stopped([{ ...stop(at), outcome: 'failed', detail: 'JOB_NOT_RUNNING' }]))).toEqual([]);
      // An end state kept before the supervisions were read has none to judge.
      expect(ids({ ...stopped([stop(at)]), supervisions: undefined })).toEqual([]);
    });
  });

  it('each invariant has a sentence and says how it is checked', () => {
    expect(INVARIANTS.map((i) => i.id)).toEqual([
      'I1',
      'I2',
      'I3',
      'I4',
      'I5',
      'I6',
      'I7',
      'I8',
      'I9',
      'I10',
    ]);
    for (const i of INVARIANTS)
      expect([i.sentence.length > 20, i.checkedBy.length > 20]).toEqual([true, true]);
  });
});

describe('what I10 reads', () => {
  it('a supervision’s history gives its stallAfter, its freshness and each stop with its summary, time and outcome', () => {
    const read = (file: string) =>
      historyFromJSON(JSON.parse(fs.readFileSync(path.join(__dirname, '../histories', file), 'utf8')));
    expect(
      supervisionOf('s1', read('supervise-stalled-resumed-v12-believed-completion-provider-queues.json')),
    ).toEqual({
      workflowId: 's1',
      jobId: 'job_34f32b0d649984cf',
      stallAfter: '30m',
      stallAfterMs: 30 * 60_000,
      freshnessMs: 5 * 60_000,
      stops: [
        {
          at: Date.parse('2026-12-07T17:39:58.582Z'),
          jobId: 'job_34f32b0d649984cf',
          summary: 'stop job job_34f32b0d649984cf, saving a checkpoint: stalled: no step progress',
          outcome: 'stopped',
        },
      ],
    });
    // Another workflow's history is no supervision.
    expect(
      supervisionOf('p1', read('pipeline-success-v18-round-trips-provider-queues.json')),
    ).toBeUndefined();
  });

  it('the sandbox’s true progress: from when a segment runs until a stall fault froze it or it was stopped, then again after a resume', () => {
    const state = new SandboxState({ epochMs: 1000, queueMs: 0, deployMs: 0, seed: 1 });
    state.faults = faultConfigSchema.parse({ stallAtEpoch: 2 });
    const j = state.createJob({ name: 'stalls', totalEpochs: 5 });
    const ran = j.runStartMs;
    state.advanceClock(1_500);
    expect(state.advancing(state.advance(j))).toEqual([{ from: ran }]);
    state.advanceClock(3_000);
    // Frozen at the end of epoch 2, however late the simulation noticed.
    expect(state.advancing(state.advance(j))).toEqual([{ from: ran, until: ran + 2_000 }]);
    state.stopJob(j, true);
    state.advanceClock(1_000);
    state.resumeJob(j, 2);
    const again = j.runStartMs;
    // Queued after the resume: not advancing yet.
    expect(state.advancing(j)).toEqual([{ from: ran, until: ran + 2_000 }]);
    state.advanceClock(10_000);
    state.advance(j);
    expect(j.status).toBe('completed');
    expect(state.advancing(j)).toEqual([
      { from: ran, until: ran + 2_000 },
      { from: again, until: again + 3_000 },
    ]);
  });
});

describe('docs/invariants.md', () => {
  const repo = path.resolve(__dirname, '../..');
  const check = (file: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/invariants-doc.ts', '--check', '--file', file], {
      cwd: repo,
      encoding: 'utf8',
    });

  it('holds the list, the lies and the accidents as the modules state them (npx tsx scripts/invariants-doc.ts regenerates it)', () => {
    const page = path.join(repo, 'docs/invariants.md');
    expect(check(page).status).toBe(0);
    // A page whose list lost an invariant is caught.
    const drifted = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'invariants-doc-')), 'invariants.md');
    fs.writeFileSync(
      drifted,
      fs
        .readFileSync(page, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('| I9 '))
        .join('\n'),
    );
    const drift = check(drifted);
    expect(drift.status).toBe(1);
    expect(drift.stderr).toContain('run npx tsx scripts/invariants-doc.ts');
  }, 60_000);
});
