import { ApplicationFailure } from '@temporalio/common';
import { claimWithChampionActivities } from '../../src/activities/claim-with-champion';
import type { ClaimAnswer } from '../../src/decisions/protection';

/** The claim's and the GET's order in one log; the GET answers as `gone` / `failing` say. */
function world(opts: { beingDeleted?: string[]; gone?: boolean; failing?: boolean; direct?: boolean } = {}) {
  const log: string[] = [];
  const providerFailure = (status: number) =>
    ApplicationFailure.create({
      message: `tensorone GET /v2/training/checkpoints/:id: ${status}`,
      type: status === 404 ? 'NOT_FOUND' : 'INTERNAL',
      nonRetryable: status === 404,
      details: [
        { provider: 'tensorone', route: 'GET /v2/training/checkpoints/:id', status, code: 'X', details: {} },
      ],
    });
  const { claimWithChampion } = claimWithChampionActivities({
    async claimProtection(requests): Promise<ClaimAnswer> {
      await new Promise((r) => setTimeout(r, 5)); // answered after the champion's read started
      log.push(`claim ${requests.map((r) => r.checkpointId).join(',')}`);
      const being = opts.beingDeleted ?? [];
      return {
        recorded: requests.map((r) => r.checkpointId).filter((id) => !being.includes(id)),
        beingDeleted: being.map((checkpointId) => ({ checkpointId, by: 'cleanup-1' })),
      };
    },
    async servingChampion() {
      log.push('champion');
      return undefined;
    },
    ...(opts.direct === false
      ? {}
      : {
          async getCheckpoint(id: string) {
            log.push(`get ${id}`);
            if (opts.gone) throw providerFailure(404);
            if (opts.failing) throw providerFailure(503);
            return { id };
          },
        }),
  });
  const claim = (confirm?: string) =>
    claimWithChampion({
      requests: [{ kind: 'candidate', checkpointId: 'c1' }],
      slot: 'demo',
      ...(confirm ? { confirm } : {}),
    });
  return { log, claim };
}

describe("a candidate's claim that confirms the checkpoint is still there", () => {
  it('asks the GET only after the claim was answered, and says it is there', async () => {
    const { log, claim } = world();
    expect((await claim('c1')).stillThere).toBe(true);
    expect(log).toEqual(['champion', 'claim c1', 'get c1']);
  });

  it('a 404 after the claim says gone (the pipeline chooses again)', async () => {
    const { claim } = world({ gone: true });
    expect((await claim('c1')).stillThere).toBe(false);
  });

  it('any other failure is no answer: the attempt fails, and its retry claims again first', async () => {
    const { log, claim } = world({ failing: true });
    await expect(claim('c1')).rejects.toThrow(/503/);
    expect(log.filter((l) => l.startsWith('get'))).toHaveLength(1);
  });

  it('a checkpoint being deleted is not looked up: the claim already said it is going', async () => {
    const { log, claim } = world({ beingDeleted: ['c1'] });
    const answer = await claim('c1');
    expect(answer.stillThere).toBeUndefined();
    expect(answer.beingDeleted).toEqual([{ checkpointId: 'c1', by: 'cleanup-1' }]);
    expect(log).not.toContain('get c1');
  });

  it('a worker held to a TensorOne rate limit answers the claim alone (the pipeline asks on the provider queue)', async () => {
    const { log, claim } = world({ direct: false });
    expect((await claim('c1')).stillThere).toBeUndefined();
    expect(log).toEqual(['champion', 'claim c1']);
  });

  it('without `confirm` nothing is looked up, as before', async () => {
    const { log, claim } = world();
    expect((await claim()).stillThere).toBeUndefined();
    expect(log).not.toContain('get c1');
  });
});
