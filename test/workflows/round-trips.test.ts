import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { createActivities } from '../../src/activities';
import { recordedPromotionActivities } from '../../src/activities/recorded-promotion';
import { protectionRegistry } from '../../src/clients/protection-registry';
import { servingSlots } from '../../src/clients/serving-slots';
import { pipelineWorkflowId } from '../../src/domain/pipeline-input';
import { createProviderClients } from '../../src/providers/config';
import { createWorker } from '../../src/worker-factory';
import { fineTuneToDeploy } from '../../src/workflows';
import { uniqueTaskQueue } from '../harness/temporal';
import { testWorkerSettings } from '../harness/workflow-bundles';
import { scheduledActivities } from '../harness/history';
import { deployingAtOnce } from '../harness/sandbox';
import { startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

/**
 * The round trips a pipeline makes on a worker without a webhook and without a fleet budget: the
 * webhook is asked with the fleet-budget question (no notification activity at all), and the deployed
 * checkpoint's protection record rides with the promotion into the serving slot (one activity, the
 * record first), and the gate's read of the slot's champion rides with the candidate's claim. What the
 * pipeline ends with is unchanged: deployed, recorded, serving in its slot, judged against its champion.
 */
type Event = temporal.api.history.v1.IHistoryEvent;
const bed = useWorkflowTestBed();

const scheduled = (events: Event[]): string[] => scheduledActivities(events).map((a) => a.name);
const timeOf = (e: Event): number =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** A worker of its own on `taskQueue` whose activities are the product's with `changed` laid over them. */
function workerWith(
  taskQueue: string,
  changed: (activities: ReturnType<typeof createActivities>) => Partial<ReturnType<typeof createActivities>>,
) {
  const providers = createProviderClients(bed.sandbox.endpoints);
  const activities = createActivities(providers);
  return createWorker(
    {
      connection: bed.env.nativeConnection,
      taskQueue,
      providers,
      settings: testWorkerSettings(),
      overrides: { shutdownGraceTime: 0 },
    },
    { ...activities, ...changed(activities) },
  );
}

/** A pipeline whose job has more checkpoints than its cleanup keeps, started on `taskQueue`. */
function startCleaningPipeline(taskQueue: string, name: string) {
  const input = pipelineInput(name, { train: tensoroneTrain({ config: { training: { epochs: 6 } } }) });
  return bed.env.client.workflow.start(fineTuneToDeploy, {
    args: [input],
    taskQueue,
    workflowId: pipelineWorkflowId(input.name),
  });
}

/** Workflow tasks started after the completion of activity `from` and before the event `until` matches. */
function workflowTasksBetween(events: Event[], from: string, until: (e: Event) => boolean): number {
  const names = new Map<string, string>();
  let counting = false;
  let tasks = 0;
  for (const e of events) {
    const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) names.set(String(e.eventId), type);
    const done = e.activityTaskCompletedEventAttributes;
    if (done && names.get(String(done.scheduledEventId)) === from) counting = true;
    if (counting && until(e)) return tasks;
    if (counting && e.workflowTaskStartedEventAttributes) tasks++;
  }
  throw new Error(`no ${from} completion followed by the awaited event`);
}

it('a worker without a webhook: one question answers the fleet budget and the webhook, and no notification is scheduled', async () => {
  const input = pipelineInput('no-webhook', {
    train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
  });
  const result = await bed.withWorker(async () => (await startPipeline(bed, input)).result());
  expect(result.outcome).toBe('deployed');
  const { events } = await bed.env.client.workflow.getHandle(pipelineWorkflowId(input.name)).fetchHistory();
  const activities = scheduled(events ?? []);
  expect(activities.filter((a) => a === 'workerPresence')).toHaveLength(1);
  expect(activities.indexOf('workerPresence')).toBeLessThan(activities.indexOf('startTrainingJob'));
  expect(activities).not.toContain('fleetBudgetPresence');
  expect(activities).not.toContain('notifyWebhook');
});

it("the deployed checkpoint is recorded with its promotion: one activity, two workflow tasks from the smoke test to the cleanup's go-ahead", async () => {
  const input = pipelineInput('recorded-promotion', {
    // More checkpoints than the cleanup keeps: it deletes some.
    train: tensoroneTrain({ config: { training: { epochs: 6 } } }),
  });
  const result = await bed.withWorker(async () => (await startPipeline(bed, input)).result());
  expect(result.outcome).toBe('deployed');
  const { events } = await bed.env.client.workflow.getHandle(pipelineWorkflowId(input.name)).fetchHistory();
  const all = events ?? [];
  const activities = scheduled(all);
  // The champion (none yet) was read with the claim, not by an activity of its own.
  expect(activities.filter((a) => a === 'claimWithChampion')).toHaveLength(1);
  expect(activities).not.toContain('servingChampion');
  expect(activities).not.toContain('claimProtection');
  // Whether the claimed candidate is still there was asked by the claim's activity too.
  expect(activities).not.toContain('getCheckpoint');
  const afterSmoke = activities.slice(activities.lastIndexOf('smokeTestEndpoint') + 1);
  expect(afterSmoke).toEqual(['recordAndPromoteInSlot']);
  // The smoke test's task schedules the record with the promotion, whose task awaits the cleanup (a
  // record, then a promotion, each with its own task, made it three).
  const cleanupAwaited = (e: Event) => !!e.childWorkflowExecutionCompletedEventAttributes;
  expect(workflowTasksBetween(all, 'smokeTestEndpoint', cleanupAwaited)).toBe(2);
  // The cleanup child started with the deployment, in the task that scheduled it; it read ahead, and
  // leased and deleted only once the promotion's own activity told it the deployment serves.
  const deploy = scheduledActivities(all).find((a) => a.name === 'deployCheckpointEndpoint')!;
  const cleanupStart = all.findIndex(
    (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'checkpointCleanup',
  );
  const tasksBeforeStart = all.slice(0, cleanupStart).filter((e) => e.workflowTaskCompletedEventAttributes);
  expect(tasksBeforeStart).toHaveLength(deploy.task);
  expect(all.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes)).toEqual([]);
  const child =
    (await bed.env.client.workflow.getHandle(`${pipelineWorkflowId(input.name)}/cleanup`).fetchHistory())
      .events ?? [];
  const toldEvent = child.find(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'deploymentServes',
  );
  const told = Number(toldEvent?.eventId);
  const childSteps = scheduledActivities(child);
  expect(childSteps.find((a) => a.name === 'listCheckpoints')!.completedAt).toBeLessThan(told);
  expect(childSteps.find((a) => a.name === 'leaseAndDeleteCheckpoints')!.scheduledAt).toBeGreaterThan(told);
  // Told before the promotion's answer reached the pipeline.
  const promotion = scheduledActivities(all).find((a) => a.name === 'recordAndPromoteInSlot')!;
  const promoted = all.find((e) => Number(e.eventId) === promotion.completedAt)!;
  expect(timeOf(toldEvent!)).toBeLessThanOrEqual(timeOf(promoted));
  expect(result.deletedCheckpoints.length).toBeGreaterThan(0);

  // Still both: the deployed checkpoint is out of every cleanup, and the deployment serves the name.
  const records = (await protectionRegistry(bed.env.client, bed.taskQueue).records()) ?? [];
  expect(records).toContainEqual(
    expect.objectContaining({
      kind: 'deployed',
      checkpointId: result.checkpoint!.checkpointId,
      deploymentId: result.deployment!.id,
    }),
  );
  const slot = await servingSlots(bed.env.client, bed.taskQueue).read(input.name);
  expect(slot?.champion?.deploymentId).toBe(result.deployment!.id);
});

it('a retrain of the same name is judged against the champion read with its claim', async () => {
  const input = pipelineInput('judged-by-claim', {
    train: tensoroneTrain({ config: { training: { epochs: 3 } } }),
  });
  const { first, second } = await bed.withWorker(async () => {
    const first = await (await startPipeline(bed, input)).result();
    const second = await (await startPipeline(bed, input)).result();
    return { first, second };
  });
  // The same job settings train to the same metric: a tie with the champion passes.
  expect(second.gate?.reasons).toEqual([
    expect.stringMatching(new RegExp(`^ties champion ${first.deployment!.id}`)),
  ]);
  const { events } = await bed.env.client.workflow.getHandle(pipelineWorkflowId(input.name)).fetchHistory();
  const activities = scheduled(events ?? []);
  expect(activities).not.toContain('servingChampion');
  expect(activities.filter((a) => a === 'claimWithChampion')).toHaveLength(1);
});

it('a deployment whose protection record cannot be made is not promoted: the pipeline fails as when the record failed alone', async () => {
  const taskQueue = uniqueTaskQueue('record-fails');
  const recordProtection = () =>
    Promise.reject(ApplicationFailure.nonRetryable('the registry refused the record', 'REGISTRY_DOWN'));
  const worker = await workerWith(taskQueue, (activities) => ({
    recordProtection,
    ...recordedPromotionActivities({ recordProtection, promoteInSlot: activities.promoteInSlot }),
  }));
  const input = pipelineInput('record-fails', {
    train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
  });
  const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
    args: [input],
    taskQueue,
    workflowId: pipelineWorkflowId(input.name),
  });
  const outcome = await bed.withWorker(() =>
    worker.runUntil(
      handle.result().then(
        () => undefined,
        (err: unknown) => err,
      ),
    ),
  );
  // The failure, through its causes (the workflow's, the activity's, the record's).
  const causes: string[] = [];
  for (let e = outcome as Error | undefined; e; e = e.cause as Error | undefined) causes.push(e.message);
  expect(causes.join(' <- ')).toMatch(/protection record was not made: the registry refused the record/);
  expect(causes.join(' <- ')).not.toMatch(/promotion/);
  // Never promoted: nothing serves the name.
  expect(await servingSlots(bed.env.client, taskQueue).read(input.name)).toBeUndefined();
  // The cleanup child, started with the deployment, was cancelled before it leased or deleted anything,
  // and had ended before the pipeline did.
  const cleanup = bed.env.client.workflow.getHandle(`${pipelineWorkflowId(input.name)}/cleanup`);
  const [child, pipeline] = await Promise.all([cleanup.describe(), handle.describe()]);
  expect(child.status.name).toBe('CANCELLED');
  expect(child.closeTime!.getTime()).toBeLessThanOrEqual(pipeline.closeTime!.getTime());
  const cleanupSteps = scheduledActivities((await cleanup.fetchHistory()).events ?? []).map((a) => a.name);
  expect(cleanupSteps).toContain('listCheckpoints');
  expect(cleanupSteps).not.toContain('leaseAndDeleteCheckpoints');
});

it('a cleanup the promotion could not tell is told by the pipeline, and deletes as when the promotion told it', async () => {
  const taskQueue = uniqueTaskQueue('cleanup-not-told');
  const worker = await workerWith(taskQueue, (activities) =>
    recordedPromotionActivities({
      recordProtection: activities.recordProtection,
      promoteInSlot: activities.promoteInSlot,
      tellCleanup: () => Promise.resolve(false),
    }),
  );
  const handle = await startCleaningPipeline(taskQueue, 'cleanup-not-told');
  const result = await bed.withWorker(() => worker.runUntil(handle.result()));
  expect(result.outcome).toBe('deployed');
  expect(result.deletedCheckpoints.length).toBeGreaterThan(0);
  const all = (await handle.fetchHistory()).events ?? [];
  const signals = all.filter((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes);
  expect(signals.map((e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName)).toEqual([
    'deploymentServes',
  ]);
  // Told once the promotion had answered, and only then leased and deleted.
  const promotion = scheduledActivities(all).find((a) => a.name === 'recordAndPromoteInSlot')!;
  expect(Number(signals[0].eventId)).toBeGreaterThan(promotion.completedAt!);
});

it('a promotion retried after it told the cleanup, which has ended meanwhile: the pipeline deploys and reports the deletions', async () => {
  const taskQueue = uniqueTaskQueue('told-then-retried');
  const cleanupId = pipelineWorkflowId('told-then-retried') + '/cleanup';
  const worker = await workerWith(taskQueue, (activities) => ({
    async recordAndPromoteInSlot(input: Parameters<typeof activities.recordAndPromoteInSlot>[0]) {
      const answer = await activities.recordAndPromoteInSlot(input);
      if (Context.current().info.attempt > 1) return answer;
      // The first attempt told the cleanup; its answer is lost once the cleanup has ended.
      const cleanup = Context.current().client.workflow.getHandle(cleanupId);
      await cleanup.result();
      throw ApplicationFailure.retryable('the answer was lost', 'ANSWER_LOST');
    },
  }));
  const handle = await startCleaningPipeline(taskQueue, 'told-then-retried');
  const result = await bed.withWorker(() => worker.runUntil(handle.result()));
  expect(result.outcome).toBe('deployed');
  expect(result.deletedCheckpoints.length).toBeGreaterThan(0);
  const attempts = ((await handle.fetchHistory()).events ?? []).flatMap((e) =>
    e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : [],
  );
  expect(Math.max(...attempts.map(Number))).toBeGreaterThan(1);
});

it('a create that answers active is smoke-tested without a readiness read; one that answers deploying is read until it serves', async () => {
  const run = async (name: string) => {
    const input = pipelineInput(name, { train: tensoroneTrain({ config: { training: { epochs: 2 } } }) });
    const result = await bed.withWorker(async () => (await startPipeline(bed, input)).result());
    expect(result.outcome).toBe('deployed');
    expect(result.deployment?.status).toBe('active');
    const { events } = await bed.env.client.workflow.getHandle(pipelineWorkflowId(input.name)).fetchHistory();
    return scheduled(events ?? []);
  };
  // The provider deploys at once: its create answer says active.
  const atOnce = await deployingAtOnce(bed.sandbox, () => run('active-at-once'));
  expect(atOnce).not.toContain('getEndpoint');
  expect(atOnce.indexOf('smokeTestEndpoint')).toBe(atOnce.indexOf('deployCheckpointEndpoint') + 1);

  const later = await run('active-later');
  expect(later).toContain('getEndpoint');
  expect(later.indexOf('getEndpoint')).toBeLessThan(later.indexOf('smokeTestEndpoint'));
});
