import {
  claimCheckpoints,
  endedCandidateHolders,
  grantDeletions,
  joinRebuilt,
  pipelineHolds,
  protectedCheckpoints,
  refuseWhileRebuilding,
  releaseCandidates,
  releaseDeployed,
  slotHolds,
  type DeletionLease,
  type ProtectionRecord,
} from '../../src/decisions/protection';

const rec = (over: Partial<ProtectionRecord>): ProtectionRecord => ({
  checkpointId: 'c1',
  kind: 'candidate',
  workflowId: 'pipeline-a',
  runId: 'r1',
  at: '2026-01-01T00:00:00Z',
  ...over,
});

describe('what a protected checkpoint says about why', () => {
  it('a deployment names its target and id', () => {
    const out = protectedCheckpoints({
      records: [rec({ kind: 'deployed', target: 'tensormesh', deploymentId: 'm1' })],
      runningHolders: new Set(),
    });
    expect(out).toEqual([{ checkpointId: 'c1', reasons: ['deployed by pipeline-a (tensormesh m1)'] }]);
    // Whichever of the two a record lacks, the other is named alone, without a stray space.
    const partial = protectedCheckpoints({
      records: [
        rec({ kind: 'deployed', target: 'tensorone-registry' }),
        rec({ kind: 'deployed', deploymentId: 'ep_9' }),
      ],
      runningHolders: new Set(),
    });
    expect(partial).toEqual([
      {
        checkpointId: 'c1',
        reasons: ['deployed by pipeline-a (tensorone-registry)', 'deployed by pipeline-a (ep_9)'],
      },
    ]);
  });

  it('a candidate names its running pipeline; one of an ended run protects nothing', () => {
    const records = [rec({}), rec({ checkpointId: 'c2', runId: 'r0' })];
    expect(protectedCheckpoints({ records, runningHolders: new Set(['pipeline-a/r1']) })).toEqual([
      { checkpointId: 'c1', reasons: ['candidate of running pipeline-a'] },
    ]);
    // Another workflow's run with the same run id is another holder.
    expect(protectedCheckpoints({ records, runningHolders: new Set(['pipeline-b/r1']) })).toEqual([]);
  });
});

describe('a retired deployment releases its checkpoint', () => {
  it('only the deleted deployment’s record goes: the same checkpoint stays held by a pin, a candidate and another deployment', () => {
    const records = [
      rec({ kind: 'deployed', target: 'tensorone-endpoint', deploymentId: 'ep_old' }),
      rec({ kind: 'deployed', target: 'tensorone-endpoint', deploymentId: 'ep_new' }),
      rec({ kind: 'pinned' }),
      rec({ kind: 'candidate' }),
      rec({ kind: 'deployed' }), // recorded before deployments were named: never released by id
    ];
    const left = releaseDeployed(records, ['ep_old']);
    expect(left).toEqual(records.filter((r) => r.deploymentId !== 'ep_old'));
    expect(protectedCheckpoints({ records: left, runningHolders: new Set() })).toEqual([
      {
        checkpointId: 'c1',
        reasons: [
          'deployed by pipeline-a (tensorone-endpoint ep_new)',
          'pinned in pipeline-a',
          'deployed by pipeline-a',
        ],
      },
    ]);
  });
  it('releasing nothing, or a deployment never recorded, changes nothing', () => {
    const records = [rec({ kind: 'deployed', deploymentId: 'ep_1' })];
    expect(releaseDeployed(records, [])).toEqual(records);
    expect(releaseDeployed(records, ['ep_2'])).toEqual(records);
    expect(releaseDeployed(records, ['ep_1'])).toEqual([]);
  });
});

describe("a sweep's losing trials release their bests", () => {
  it("only that run's candidate records of those checkpoints go: its other candidate, its pins and other runs' records stay", () => {
    const records = [
      rec({ checkpointId: 'k0' }),
      rec({ checkpointId: 'k1' }),
      rec({ checkpointId: 'k2' }), // the winner's
      rec({ checkpointId: 'k0', kind: 'pinned' }),
      rec({ checkpointId: 'k0', kind: 'deployed', deploymentId: 'ep_1' }),
      rec({ checkpointId: 'k0', runId: 'r2' }),
      rec({ checkpointId: 'k1', workflowId: 'pipeline-b' }),
    ];
    const left = releaseCandidates(records, {
      workflowId: 'pipeline-a',
      runId: 'r1',
      checkpointIds: ['k0', 'k1'],
    });
    expect(left).toEqual(records.slice(2));
  });
  it('releasing nothing, or checkpoints the run never held, changes nothing', () => {
    const records = [rec({ checkpointId: 'k0' })];
    const run = { workflowId: 'pipeline-a', runId: 'r1' };
    expect(releaseCandidates(records, { ...run, checkpointIds: [] })).toEqual(records);
    expect(releaseCandidates(records, { ...run, checkpointIds: ['k9'] })).toEqual(records);
    expect(releaseCandidates([], { ...run, checkpointIds: ['k0'] })).toEqual([]);
  });
});

describe('candidate holders the registry may forget', () => {
  it('each ended holder once; running holders, pins and deployments never', () => {
    const records = [
      rec({ checkpointId: 'c1', runId: 'r0' }),
      rec({ checkpointId: 'c2', runId: 'r0' }),
      rec({ checkpointId: 'c3', runId: 'r1' }),
      rec({ checkpointId: 'c4', runId: 'r9', kind: 'pinned' }),
      rec({ checkpointId: 'c5', runId: 'r8', kind: 'deployed' }),
    ];
    expect(endedCandidateHolders(records, new Set(['pipeline-a/r1']))).toEqual([
      { workflowId: 'pipeline-a', runId: 'r0' },
    ]);
    expect(endedCandidateHolders([], new Set())).toEqual([]);
  });
});

describe('deletion leases', () => {
  const request = {
    workflowId: 'cleanup-1',
    runId: 'c1',
    checkpointIds: ['k1', 'k2'],
    endedHolders: [],
    untilMs: 5_000,
  };

  it('a cleanup asking again for what it holds renews the lease, once; other cleanups’ leases stay; expired ones go', () => {
    const others: DeletionLease[] = [
      { checkpointId: 'k1', workflowId: 'cleanup-2', runId: 'x', untilMs: 9_000 },
      { checkpointId: 'k9', workflowId: 'cleanup-3', runId: 'y', untilMs: 1_000 },
      { checkpointId: 'k2', workflowId: 'cleanup-1', runId: 'c1', untilMs: 3_000 },
      { checkpointId: 'k3', workflowId: 'cleanup-1', runId: 'c1', untilMs: 3_000 },
    ];
    const { answer, leases } = grantDeletions([], others, request, 2_000);
    expect(answer).toEqual({ granted: ['k1', 'k2'], refused: [] });
    expect(leases).toEqual([
      { checkpointId: 'k1', workflowId: 'cleanup-2', runId: 'x', untilMs: 9_000 },
      { checkpointId: 'k3', workflowId: 'cleanup-1', runId: 'c1', untilMs: 3_000 },
      { checkpointId: 'k1', workflowId: 'cleanup-1', runId: 'c1', untilMs: 5_000 },
      { checkpointId: 'k2', workflowId: 'cleanup-1', runId: 'c1', untilMs: 5_000 },
    ]);
  });

  it('a checkpoint several records protect is refused with the first reason recorded', () => {
    const records = [
      rec({ checkpointId: 'k1', kind: 'pinned', workflowId: 'pipeline-p' }),
      rec({ checkpointId: 'k1', kind: 'deployed', workflowId: 'pipeline-d' }),
    ];
    const { answer, leases } = grantDeletions(records, [], { ...request, checkpointIds: ['k1'] }, 0);
    expect(answer).toEqual({
      granted: [],
      refused: [{ checkpointId: 'k1', reason: 'pinned in pipeline-p' }],
    });
    expect(leases).toEqual([]);
  });

  it('a claim records what is free and names what is being deleted, each once, with the cleanup deleting it', () => {
    const leases: DeletionLease[] = [
      { checkpointId: 'k2', workflowId: 'cleanup-7', runId: 'z', untilMs: 5_000 },
    ];
    const { answer, records } = claimCheckpoints(
      [],
      leases,
      [rec({ checkpointId: 'k1' }), rec({ checkpointId: 'k2' }), rec({ checkpointId: 'k2', kind: 'pinned' })],
      4_999,
    );
    expect(answer).toEqual({ recorded: ['k1'], beingDeleted: [{ checkpointId: 'k2', by: 'cleanup-7' }] });
    expect(records).toEqual([rec({ checkpointId: 'k1' })]);
  });
});

describe('a registry started anew, rebuilding', () => {
  const lease = (over: Partial<DeletionLease>): DeletionLease => ({
    checkpointId: 'k1',
    workflowId: 'cleanup-1',
    runId: 'r1',
    untilMs: 1000,
    ...over,
  });

  it('refuses every checkpoint asked, each once, with why; an empty request is answered empty', () => {
    expect(refuseWhileRebuilding({ checkpointIds: ['k1', 'k2', 'k1'] }, 'rebuilding')).toEqual({
      granted: [],
      refused: [
        { checkpointId: 'k1', reason: 'rebuilding' },
        { checkpointId: 'k2', reason: 'rebuilding' },
      ],
    });
    expect(refuseWhileRebuilding({ checkpointIds: [] }, 'rebuilding')).toEqual({ granted: [], refused: [] });
  });

  it('joins what the runs before held with what arrived meanwhile: each record once, leases still in force once', () => {
    const joined = joinRebuilt(
      {
        records: [rec({ checkpointId: 'k1' }), rec({ checkpointId: 'k3', kind: 'pinned' })],
        leases: [lease({})],
      },
      {
        records: [rec({ checkpointId: 'k1' }), rec({ checkpointId: 'k2', kind: 'pinned' })],
        // The same lease as the current one, one that ends exactly now (no longer in force), one later.
        leases: [lease({}), lease({ checkpointId: 'k8', untilMs: 500 }), lease({ checkpointId: 'k9' })],
      },
      500,
    );
    expect(joined.records.map((r) => `${r.kind} ${r.checkpointId}`)).toEqual([
      'candidate k1',
      'pinned k2',
      'pinned k3',
    ]);
    expect(joined.leases.map((l) => l.checkpointId)).toEqual(['k1', 'k9']);
    expect(joinRebuilt({ records: [], leases: [] }, { records: [], leases: [] }, 0)).toEqual({
      records: [],
      leases: [],
    });
  });

  it('a running pipeline holds its candidate and its pins; one with neither holds nothing', () => {
    const run = { workflowId: 'pipeline-a', runId: 'r1' };
    expect(pipelineHolds(run, { candidate: { checkpointId: 'k1' }, pinned: ['k2', 'k3'] }, 't')).toEqual([
      rec({ checkpointId: 'k1', at: 't' }),
      rec({ checkpointId: 'k2', kind: 'pinned', at: 't' }),
      rec({ checkpointId: 'k3', kind: 'pinned', at: 't' }),
    ]);
    expect(pipelineHolds(run, { pinned: [] }, 't')).toEqual([]);
  });

  it("a running sweep holds each ended trial's best; once it named its winner, the winner's only", () => {
    const run = { workflowId: 'pipeline-a', runId: 'r1' };
    const trials = [
      { index: 0, checkpointId: 'k0' },
      { index: 1 }, // still training: no best yet
      { index: 2, checkpointId: 'k2' },
    ];
    expect(pipelineHolds(run, { sweep: { trials } }, 't')).toEqual([
      rec({ checkpointId: 'k0', at: 't' }),
      rec({ checkpointId: 'k2', at: 't' }),
    ]);
    expect(pipelineHolds(run, { sweep: { trials, winner: 2 } }, 't')).toEqual([
      rec({ checkpointId: 'k2', at: 't' }),
    ]);
    // The winner's best chosen as the candidate: one record, not two.
    expect(
      pipelineHolds(run, { candidate: { checkpointId: 'k2' }, sweep: { trials, winner: 2 } }, 't'),
    ).toEqual([rec({ checkpointId: 'k2', at: 't' })]);
    // The winner ended without a best of its own (index 1): the losers' stay released.
    expect(pipelineHolds(run, { sweep: { trials, winner: 1 } }, 't')).toEqual([]);
  });

  it('a serving slot holds what it serves, drains and retires, for the runs that deployed them', () => {
    const d = { deploymentId: 'ep_1', target: 'tensorone-endpoint', workflowId: 'pipeline-a', runId: 'r1' };
    expect(
      slotHolds(
        [
          { ...d, checkpointId: 'k1' },
          { ...d, deploymentId: 'ep_2', checkpointId: undefined },
        ],
        't',
      ),
    ).toEqual([
      rec({
        checkpointId: 'k1',
        kind: 'deployed',
        target: 'tensorone-endpoint',
        deploymentId: 'ep_1',
        at: 't',
      }),
    ]);
  });
});
