import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { approveUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { pipelineWorkflowId } from '../../src/domain/pipeline-input';
import { scheduledActivities, type ScheduledActivity } from '../harness/history';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

/**
 * After its training, a pipeline looks at its job together with the candidate's listing, not one
 * after another, and reads the serving champion with the candidate's claim: the deploy comes round
 * trips sooner. The look at the job still comes before the deploy, and after an approval when one is
 * awaited; the champion is read before the gate judges.
 */
const bed = useWorkflowTestBed();

const first = (list: ScheduledActivity[], name: string) => {
  const found = list.find((a) => a.name === name);
  if (!found) throw new Error(`no ${name} in the history: ${list.map((a) => a.name).join(', ')}`);
  return found;
};

it('no approval: the look at the job goes out with the candidate listing, the champion read with the claim, and the deploy waits for the look', async () => {
  const input = pipelineInput('reads-ahead', {
    train: tensoroneTrain({ config: { training: { epochs: 4 } } }),
  });
  const result = await bed.withWorker(async () => (await startPipeline(bed, input)).result());
  expect(result.outcome).toBe('deployed');
  const history = await bed.env.client.workflow.getHandle(pipelineWorkflowId(input.name)).fetchHistory();
  const list = scheduledActivities(history.events ?? []);
  // The candidate's listing (oldest first), not the look's newest-first one asked beside the job's status.
  const listing = list.find((a) => a.name === 'listCheckpoints' && a.input?.sortOrder !== 'desc')!;
  expect(listing).toBeDefined();
  const look = first(list, 'getTrainingJob');
  expect(look.task).toBe(listing.task);
  // The champion is read with the claim, after the listing and before the deploy.
  const claim = first(list, 'claimWithChampion');
  expect(claim.scheduledAt).toBeGreaterThan(listing.completedAt!);
  expect(list.map((a) => a.name)).not.toContain('servingChampion');
  const deploy = first(list, 'deployCheckpointEndpoint');
  expect(deploy.scheduledAt).toBeGreaterThan(look.completedAt!);
});

it('an approval awaited: the look at the job comes after the approval, right before the deploy', async () => {
  const input = pipelineInput('reads-ahead-approved', {
    train: tensoroneTrain({ config: { training: { epochs: 4 } } }),
    gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
  });
  const history = await bed.withWorker(async () => {
    const handle = await startPipeline(bed, input);
    const waiting = await advanceUntil(bed.env, async () => {
      const s = await handle.query(statusQuery);
      return s.phase === 'awaiting-approval' ? s : undefined;
    });
    await handle.executeUpdate(approveUpdate, {
      args: [{ checkpointId: waiting.candidate!.checkpointId, by: 'ada' }],
    });
    expect((await handle.result()).outcome).toBe('deployed');
    return handle.fetchHistory();
  });
  const events = history.events ?? [];
  const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!;
  const list = scheduledActivities(events);
  // The champion is read with the claim, before the approval; the look after it.
  expect(first(list, 'claimWithChampion').completedAt!).toBeLessThan(Number(accepted.eventId));
  expect(first(list, 'getTrainingJob').scheduledAt).toBeGreaterThan(Number(accepted.eventId));
});
