import { WorkflowUpdateFailedError } from '@temporalio/client';
import { servingSlots } from '../../src/clients/serving-slots';
import { servingSlotId } from '../../src/workflows/serving-slot/contract';
import type { PromoteRequest, SlotState } from '../../src/decisions/serving-slot';
import { SANDBOX_PROFILES } from '../../sandbox/profile';
import { startTimeSkippingEnv } from '../harness/temporal';
import { advanceUntil, MINUTE, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * The serving slot on its own, on both sandbox profiles: promotions, the drain, retirement (deleted
 * where the provider has a delete route, named for removal by hand where it has none), rollback
 * while draining and its refusal afterwards. The pipeline's use of it is in pipeline-promotion.test.ts.
 */
let shared: TestWorkflowEnvironment;
beforeAll(async () => {
  shared = await startTimeSkippingEnv();
});
afterAll(() => shared?.teardown());

describe.each(SANDBOX_PROFILES)('%s profile', (profile) => {
  let bed: WorkflowTestBed;
  beforeAll(async () => {
    bed = await startWorkflowTestBed({ profile }, { shared });
  });
  afterAll(() => bed?.teardown());

  const promotion = (n: number, retireAfterMs = 10 * MINUTE): PromoteRequest => ({
    deployment: {
      target: 'tensorone-endpoint',
      deploymentId: `ep_${profile}_${n}`,
      checkpointId: `ckpt_${n}`,
      jobId: `job_${n}`,
      workflowId: 'pipeline-slot-test',
      runId: `run_${n}`,
      smoke: { input: { prompt: 'Where is my parcel?' } },
    },
    retireAfterMs,
  });
  /** Creates a real endpoint at the sandbox, so retirement has something to delete. */
  function endpointAtSandbox(id: string): void {
    const now = bed.sandbox.state.now();
    bed.sandbox.state.endpoints.set(id, {
      id,
      name: id,
      kind: 'endpoint',
      checkpointId: 'ckpt_1',
      workers: 1,
      createdAtMs: now,
      readyAtMs: now,
      fails: false,
    });
  }

  it("a first promotion starts the slot and is answered in the slot's first workflow task; one after the slot was terminated starts it again", () =>
    bed.withWorker(async () => {
      const slots = servingSlots(bed.env.client, bed.taskQueue);
      const name = `slot-first-${profile}`;
      endpointAtSandbox(`ep_${profile}_1`);
      expect((await slots.promote(name, promotion(1))).champion.deploymentId).toBe(`ep_${profile}_1`);
      const handle = bed.env.client.workflow.getHandle(servingSlotId(name, bed.taskQueue));
      const events = (await handle.fetchHistory()).events ?? [];
      const firstTaskEnd = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
      const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      expect(accepted).toBeGreaterThan(firstTaskEnd);
      expect(events.slice(firstTaskEnd + 1, accepted).some((e) => e.workflowTaskCompletedEventAttributes)).toBe(
        false,
      );

      await handle.terminate('slot lost');
      endpointAtSandbox(`ep_${profile}_2`);
      const again = await slots.promote(name, promotion(2));
      expect(again.champion.deploymentId).toBe(`ep_${profile}_2`);
      expect((await slots.read(name))?.champion?.deploymentId).toBe(`ep_${profile}_2`);
    }));

  it('the champion is replaced; the former drains, can be rolled back to, and is retired after the drain', () =>
    bed.withWorker(async () => {
      const slots = servingSlots(bed.env.client, bed.taskQueue);
      const name = `slot-a-${profile}`;
      [1, 2, 3].forEach((n) => endpointAtSandbox(`ep_${profile}_${n}`));
      const first = await slots.promote(name, promotion(1));
      expect(first.previous).toBeUndefined();
      const second = await slots.promote(name, promotion(2));
      expect(second.previous?.deploymentId).toBe(`ep_${profile}_1`);
      // A retried promotion (its answer was lost) is answered again, changing nothing.
      expect((await slots.promote(name, promotion(2))).alreadyPromoted).toBe(true);

      // Rollback during the drain: the first serves again, the second is retired at once.
      const back = await slots.rollback(name, { by: 'alice', reason: 'latency' });
      expect(back.restored.deploymentId).toBe(`ep_${profile}_1`);
      const afterRollback = await advanceUntil(bed.env, async () => {
        const s = (await slots.read(name))!;
        return s.retired.length === 1 ? s : undefined;
      });
      expect(afterRollback.champion?.deploymentId).toBe(`ep_${profile}_1`);
      expect(afterRollback.retired[0].deploymentId).toBe(`ep_${profile}_2`);
      if (profile === 'documented') {
        expect(afterRollback.retired[0].outcome).toBe('remove-by-hand');
        expect(afterRollback.retired[0].note).toMatch(
          /DELETE \/v2\/endpoints\/:endpointId answered 404 before this worker saw it answer/,
        );
        expect(bed.sandbox.state.endpoints.has(`ep_${profile}_2`)).toBe(true);
      } else {
        expect(afterRollback.retired[0].outcome).toBe('removed');
        expect(bed.sandbox.state.endpoints.has(`ep_${profile}_2`)).toBe(false);
      }

      // Promote the third; after the drain the first is retired and rollback is refused, saying why.
      await slots.promote(name, promotion(3));
      const drained = await advanceUntil(bed.env, async () => {
        const s = (await slots.read(name))!;
        return s.retired.length === 2 ? s : undefined;
      });
      expect(drained.champion?.deploymentId).toBe(`ep_${profile}_3`);
      expect(drained.draining).toEqual([]);
      expect(drained.history.map((e) => `${e.kind} ${e.deploymentId}`)).toEqual([
        `promoted ep_${profile}_1`,
        `promoted ep_${profile}_2`,
        `rolled-back ep_${profile}_1`,
        `retired ep_${profile}_2`,
        `promoted ep_${profile}_3`,
        `retired ep_${profile}_1`,
      ]);
      const refused = await slots.rollback(name, {}).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((refused as WorkflowUpdateFailedError).cause as Error).message).toMatch(
        new RegExp(`previous deployment ep_${profile}_1 was retired at .*: nothing to roll back to`),
      );
      // A refusal changes nothing.
      expect(((await slots.read(name)) as SlotState).champion?.deploymentId).toBe(`ep_${profile}_3`);
    }));

  describe('a rollback checks that the former deployment answers before switching', () => {
    const refusalOf = async (name: string) => {
      const slots = servingSlots(bed.env.client, bed.taskQueue);
      const refused = await slots.rollback(name, { by: 'alice' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      return ((refused as WorkflowUpdateFailedError).cause as Error).message;
    };

    it('a former deployment deleted by hand at the provider: refused, naming it and why; the champion keeps serving', () =>
      bed.withWorker(async () => {
        const slots = servingSlots(bed.env.client, bed.taskQueue);
        const name = `slot-gone-${profile}`;
        [21, 22].forEach((n) => endpointAtSandbox(`ep_${profile}_${n}`));
        await slots.promote(name, promotion(21));
        await slots.promote(name, promotion(22));
        // Deleted by hand at the provider while it drains.
        bed.sandbox.state.endpoints.delete(`ep_${profile}_21`);
        const message = await refusalOf(name);
        expect(message).toContain(
          `rollback refused: the former deployment tensorone-endpoint ep_${profile}_21`,
        );
        // Where the status route has answered in this worker, the read says "gone"; where it has not (the
        // documented profile, or a fresh worker), its 404 cannot tell, and the smoke request answers 404.
        expect(message).toMatch(
          /(is gone at the provider|does not answer its smoke request) \((ENDPOINT_NOT_FOUND|HTTP_404)/,
        );
        expect(message).toContain(`tensorone-endpoint ep_${profile}_22 keeps serving`);
        const after = (await slots.read(name))!;
        expect(after.champion?.deploymentId).toBe(`ep_${profile}_22`);
        expect(after.retiring).toEqual([]);
        expect(bed.sandbox.state.endpoints.has(`ep_${profile}_22`)).toBe(true);
        expect(after.history.map((e) => e.kind)).toEqual(['promoted', 'promoted']);
      }));

    it('a former deployment that exists but does not answer its smoke request: refused; once it answers, switched', () =>
      bed.withWorker(async () => {
        const slots = servingSlots(bed.env.client, bed.taskQueue);
        const name = `slot-mute-${profile}`;
        [31, 32].forEach((n) => endpointAtSandbox(`ep_${profile}_${n}`));
        await slots.promote(name, promotion(31));
        await slots.promote(name, promotion(32));
        bed.sandbox.state.faults = { ...bed.sandbox.state.faults, inferenceStatus: 'FAILED' };
        try {
          expect(await refusalOf(name)).toMatch(
            new RegExp(
              `ep_${profile}_31 does not answer its smoke request \\(runsync answered status FAILED\\)`,
            ),
          );
        } finally {
          bed.sandbox.state.faults = { ...bed.sandbox.state.faults, inferenceStatus: undefined };
        }
        expect((await slots.read(name))!.champion?.deploymentId).toBe(`ep_${profile}_32`);
        const back = await slots.rollback(name, { by: 'alice' });
        expect(back.restored.deploymentId).toBe(`ep_${profile}_31`);
      }));
  });

  it('a slot nothing was promoted to reads as none, and a rollback there is refused', () =>
    bed.withWorker(async () => {
      const slots = servingSlots(bed.env.client, bed.taskQueue);
      expect(await slots.read(`never-${profile}`)).toBeUndefined();
      await slots.promote(`one-${profile}`, promotion(7));
      const refused = await slots.rollback(`one-${profile}`, {}).catch((e: unknown) => e);
      expect(((refused as WorkflowUpdateFailedError).cause as Error).message).toMatch(/one deployment only/);
    }));
});
