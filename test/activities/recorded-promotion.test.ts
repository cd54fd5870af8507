import { ApplicationFailure } from '@temporalio/common';
import { recordedPromotionActivities } from '../../src/activities/recorded-promotion';
import type { PromoteAnswer, PromoteRequest } from '../../src/decisions/serving-slot';

/** The record, the promotion and the cleanup's go-ahead in one log; each part answers as told. */
function world(opts: { promotionFails?: boolean; tellAnswers?: boolean } = {}) {
  const log: string[] = [];
  const champion = { deploymentId: 'ep_new' } as PromoteAnswer['champion'];
  const { recordAndPromoteInSlot } = recordedPromotionActivities({
    async recordProtection(requests) {
      log.push(`record ${requests.map((r) => r.checkpointId).join(',')}`);
    },
    async promoteInSlot({ name }) {
      log.push(`promote ${name}`);
      if (opts.promotionFails) throw ApplicationFailure.nonRetryable('refused', 'PROMOTION_REFUSED');
      return { champion, alreadyPromoted: false };
    },
    async tellCleanup(run, serves) {
      log.push(`tell ${run.workflowId} ${run.runId} ${serves.protectedCheckpointIds.join(',')}`);
      return opts.tellAnswers ?? true;
    },
  });
  const input = {
    records: [
      {
        kind: 'deployed' as const,
        checkpointId: 'ck_1',
        target: 'tensorone-endpoint',
        deploymentId: 'ep_new',
      },
    ],
    name: 'chat',
    request: {} as PromoteRequest,
  };
  return { log, recordAndPromoteInSlot, input };
}

it('tells the cleanup the deployment serves only after the record and the promotion, with the pins it was given', async () => {
  const w = world();
  const answer = await w.recordAndPromoteInSlot({
    ...w.input,
    tellCleanup: { workflowId: 'p/cleanup', runId: 'r1', protectedCheckpointIds: ['ck_7', 'ck_9'] },
  });
  expect(w.log).toEqual(['record ck_1', 'promote chat', 'tell p/cleanup r1 ck_7,ck_9']);
  expect(answer).toEqual({ champion: { deploymentId: 'ep_new' }, alreadyPromoted: false, cleanupTold: true });
});

it('a promotion that fails tells the cleanup nothing', async () => {
  const w = world({ promotionFails: true });
  await expect(
    w.recordAndPromoteInSlot({
      ...w.input,
      tellCleanup: { workflowId: 'p/cleanup', runId: 'r1', protectedCheckpointIds: [] },
    }),
  ).rejects.toThrow('refused');
  expect(w.log).toEqual(['record ck_1', 'promote chat']);
});

it('a cleanup it could not tell is said so (the pipeline tells it), and the promotion still answers', async () => {
  const w = world({ tellAnswers: false });
  const answer = await w.recordAndPromoteInSlot({
    ...w.input,
    tellCleanup: { workflowId: 'p/cleanup', runId: 'r1', protectedCheckpointIds: [] },
  });
  expect(answer.cleanupTold).toBe(false);
  expect(answer.champion.deploymentId).toBe('ep_new');
});

it('without a cleanup to tell, answers the promotion alone', async () => {
  const w = world();
  const answer = await w.recordAndPromoteInSlot(w.input);
  expect(w.log).toEqual(['record ck_1', 'promote chat']);
  expect(answer).toEqual({ champion: { deploymentId: 'ep_new' }, alreadyPromoted: false });
});
