import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { absenceReason, isAbsent } from '../../domain/capability';
import {
  drainEnded,
  emptySlot,
  formerDeploymentRefusal,
  nextRetirementMs,
  promote,
  promoteRefusal,
  retired,
  rollback,
  rollbackRefusal,
  type RetiredDeployment,
  type SlotDeployment,
  type SlotState,
} from '../../decisions/serving-slot';
import { protectionRecords, provider } from '../activity-stubs';
import { describeFailure } from '../failure-cause';
import { checkFormerDeployment } from './rollback-check';
import { stepsOf } from '../pipeline/deploy-targets';
import { summarized } from '../summaries';
import { promoteUpdate, rollbackUpdate, slotQuery, type ServingSlotInput } from './contract';
import { checksFormerDeployment, releasesRetiredDeployments } from './patches';

const DEFAULT_HISTORY_EVENT_LIMIT = 2000;
const IDLE_WAKE_MS = 86_400_000;
/** How long an archived registry model can still be restored (the archive route's `retention_period`). */
const ARCHIVE_RETENTION = '90d';

/**
 * What serves a pipeline's name. A pipeline run promotes its verified deployment (an Update); the
 * former champion drains for the pipeline's `deploy.retireAfter` — `starter rollback` puts it back
 * meanwhile — and is then retired: deleted where the provider's API allows it, otherwise named for
 * removal by hand. Messages are handled one at a time, so two promotions never both win. Runs for good
 * (continue-as-new carries the state).
 */
export async function servingSlot(input: ServingSlotInput): Promise<void> {
  let state: SlotState = input.state ?? emptySlot(input.name);
  let changes = 0;

  setHandler(slotQuery, () => state);
  setHandler(
    promoteUpdate,
    (request) => {
      const promoted = promote(state, request, Date.now());
      state = promoted.state;
      changes += 1;
      return promoted.answer;
    },
    { validator: (request) => refuseWith(promoteRefusal(state, request)) },
  );
  setHandler(
    rollbackUpdate,
    async ({ by, reason }) => {
      if (checksFormerDeployment()) await formerAnswers(() => state);
      const rolledBack = rollback(state, Date.now(), by, reason);
      state = rolledBack.state;
      changes += 1;
      return rolledBack.answer;
    },
    { validator: (_request) => refuseWith(rollbackRefusal(state)) },
  );

  const limit = input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  const historyTooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit;

  for (;;) {
    // Sleep until a drain ends, something waits to be retired, or a message changed the plan.
    const seen = changes;
    const wake = nextRetirementMs(state);
    const woken = () => changes !== seen || state.retiring.length > 0 || historyTooLong();
    // Even idle it wakes daily: a workflow with no timer at all is what a time-skipping test server
    // jumps over to its default 10-year execution timeout. A day's wake-up is 3 events.
    await condition(woken, Math.max(1, Math.min(wake ?? Infinity, Date.now() + IDLE_WAKE_MS) - Date.now()));
    state = drainEnded(state, Date.now());
    for (const d of [...state.retiring]) {
      const outcome = await retire(d, state);
      state = retired(state, d.deploymentId, outcome.outcome, Date.now(), outcome.note);
      if (outcome.outcome !== 'remove-by-hand' && releasesRetiredDeployments())
        await summarized(
          protectionRecords.releaseDeployedCheckpoints,
          `checkpoint ${d.checkpointId} is no longer held by ${d.deploymentId} (retired)`,
          { deploymentIds: [d.deploymentId] },
        );
    }
    if (historyTooLong()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof servingSlot>({ ...input, state });
    }
  }
}

/**
 * Removes a retired deployment. A provider without a delete route (the documents promise none) or a
 * delete that keeps failing leaves it named for removal by hand: the slot never waits forever on it.
 * A registry model nothing in the slot serves any more is archived through the documented route.
 */
async function retire(
  d: SlotDeployment,
  state: SlotState,
): Promise<{ outcome: RetiredDeployment['outcome']; note?: string }> {
  let result: { outcome: RetiredDeployment['outcome']; note?: string };
  try {
    const removal = await stepsOf(d.target).remove(
      d.deploymentId,
      `retire ${d.target} ${d.deploymentId} (checkpoint ${d.checkpointId}) from slot ${state.name}`,
    );
    result = isAbsent(removal)
      ? {
          outcome: 'remove-by-hand',
          note: `${absenceReason(removal)}: remove ${d.target} ${d.deploymentId} by hand`,
        }
      : { outcome: removal.alreadyGone ? 'already-gone' : 'removed' };
  } catch (err) {
    if (isCancellation(err)) throw err;
    result = {
      outcome: 'remove-by-hand',
      note: `could not delete ${d.target} ${d.deploymentId}: ${describeFailure(err)}`,
    };
  }
  const stillServed = [state.champion, ...state.draining].some((x) => x?.modelId === d.modelId);
  if (stepsOf(d.target).fromRegistry && d.modelId && !stillServed) {
    try {
      await summarized(
        provider.archiveModel,
        `archive registry model ${d.modelId} (superseded in slot ${state.name})`,
        {
          modelId: d.modelId,
          reason: `Replaced by ${state.champion?.modelId ?? state.champion?.deploymentId ?? 'a newer model'} in slot ${state.name}`,
          retentionPeriod: ARCHIVE_RETENTION,
        },
      );
      result.note = [result.note, `model ${d.modelId} archived (restorable for ${ARCHIVE_RETENTION})`]
        .filter(Boolean)
        .join('; ');
    } catch (err) {
      if (isCancellation(err)) throw err;
      result.note = [result.note, `model ${d.modelId} not archived: ${describeFailure(err)}`]
        .filter(Boolean)
        .join('; ');
    }
  }
  return result;
}

/**
 * Refuses the rollback (the champion keeps serving) unless the former champion is seen to answer; and
 * when the slot changed while it was asked (a promotion, the drain's end), since what was checked is
 * no longer what would be switched to.
 */
async function formerAnswers(current: () => SlotState): Promise<void> {
  const before = current();
  const former = before.draining.at(-1)!;
  const champion = `${before.champion!.target} ${before.champion!.deploymentId}`;
  const evidence = await checkFormerDeployment(former);
  const refusal =
    formerDeploymentRefusal(former, evidence.status, evidence.smoke) ??
    rollbackRefusal(current()) ??
    (current().draining.at(-1)?.deploymentId !== former.deploymentId ||
    current().champion?.deploymentId !== before.champion?.deploymentId
      ? `slot ${before.name} changed while ${former.deploymentId} was checked: ask again`
      : undefined);
  if (refusal)
    throw ApplicationFailure.nonRetryable(
      `rollback refused: ${refusal}; ${champion} keeps serving`,
      'ROLLBACK_REFUSED',
      { formerDeploymentId: former.deploymentId, status: evidence.status, smoke: evidence.smoke },
    );
}

function refuseWith(reason: string | undefined): void {
  if (reason) throw new Error(reason);
}
