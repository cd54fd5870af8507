import {
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { ASKS_AGAIN_EVERY_MS, type ReserveAnswer, type SettledSpend } from '../../decisions/fleet-budget';
import { skipsFleetBudget, type FleetBudgetPresence } from '../../decisions/fleet-budget-presence';
import type { PipelineSpec } from '../../domain/pipeline-input';
import { fleetBudgetStands } from '../../decisions/pipeline-status';
import type { PipelinePhase, PipelineStatus } from './contract';
import { moveTo } from './status';
import {
  asksFleetBudgetPresence,
  asksFleetBudgetPresenceByActivity,
  asksWebhookWithBudgetPresence,
  reservesFleetBudgetPatch,
} from './patches';
import { fleetBudgetAdmittedSignal } from '../fleet-budget/contract';

/** Calls to the budget workflow (an Update each): retried while Temporal cannot be reached; a refusal does not retry. */
const budget = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Whether the queue has a budget, from the worker's cache or one describe. One try: a failure reserves
 * instead, which retries by itself. Runs recorded before `asksFleetBudgetPresenceByActivity` asked it as
 * a local activity and replay so.
 */
const presenceOnce = { startToCloseTimeout: '5s', retry: { maximumAttempts: 1 } } as const;
const worker = proxyActivities<Activities>(presenceOnce);
const workerLocally = proxyLocalActivities<Activities>(presenceOnce);

export interface FleetBudgetHold {
  /** The job ended (its cost by the looks made) or none was created (0): the rest is released. */
  settle(spent: SettledSpend): Promise<void>;
  /** Whether a reservation is held and not yet settled. */
  held(): boolean;
}

export const NOTHING_HELD: FleetBudgetHold = { settle: async () => undefined, held: () => false };

/** Only a pipeline that creates a job reserves (asked without an await: runs before it replay as recorded). */
export const reservesFleetBudget = (spec: PipelineSpec) =>
  spec.train.kind === 'tensorone' && reservesFleetBudgetPatch();

/**
 * The reservation, unless the worker knows its queue has no fleet budget (then nothing is held and
 * nothing is settled). Runs recorded before the question reserve as they did.
 */
export async function holdFleetBudget(
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  budgetSpec: PipelineSpec['budget'],
  options: HoldOptions = {},
): Promise<FleetBudgetHold> {
  const asksPresence = options.asksPresence ?? asksFleetBudgetPresence;
  const byActivity = options.presenceByActivity ?? asksFleetBudgetPresenceByActivity;
  if (asksPresence()) {
    const webhookAnswered =
      options.webhookAnswered && asksWebhookWithBudgetPresence() ? options.webhookAnswered : undefined;
    if (skipsFleetBudget(await budgetPresence(byActivity, webhookAnswered))) return NOTHING_HELD;
  }
  return reserveFleetBudget(status, phase, budgetSpec, options.leavesLine ?? (() => false));
}

export interface HoldOptions {
  /** Whether to ask the worker first: the pipeline's patch, or always (a sweep trial). */
  asksPresence?: () => boolean;
  /** Whether that question is an activity (else a local one): the pipeline's patch, or always (a sweep trial). */
  presenceByActivity?: () => boolean;
  /** True once the holder no longer wants the budget: it leaves the line and holds nothing. */
  leavesLine?: () => boolean;
  /** Told whether the worker has a webhook, asked with the fleet-budget question (a pipeline's notices). */
  webhookAnswered?: (configured: boolean) => void;
}

/** `unknown` when the worker could not tell: cannot know, so reserve (and the webhook is not told). */
async function budgetPresence(
  byActivity: () => boolean,
  webhookAnswered?: (configured: boolean) => void,
): Promise<FleetBudgetPresence | 'unknown'> {
  try {
    if (webhookAnswered) {
      const answer = await worker.workerPresence();
      webhookAnswered(answer.webhook);
      return answer.fleetBudget;
    }
    const asker = byActivity() ? worker : workerLocally;
    return await asker.fleetBudgetPresence();
  } catch (err) {
    if (isCancellation(err)) throw err;
    return 'unknown';
  }
}

/**
 * Reserves the job's expected cost before the pipeline creates it; resolves once admitted (or when no
 * budget is set). A cancel while waiting leaves the line and creates nothing; with
 * `budget.whenFleetFull: fail` a full fleet fails the pipeline instead of waiting.
 */
async function reserveFleetBudget(
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  budgetSpec: PipelineSpec['budget'],
  leavesLine: () => boolean,
): Promise<FleetBudgetHold> {
  let admitted: ReserveAnswer | undefined;
  setHandler(fleetBudgetAdmittedSignal, (answer) => void (admitted = answer));
  const whenFull = budgetSpec?.whenFleetFull;
  // Fail instead of waiting: the budget refuses (FLEET_BUDGET_FULL) before the job is created.
  const ask = () =>
    budget.reserveFleetBudget({ amount: budgetSpec?.maxCost, ...(whenFull === 'fail' ? { whenFull } : {}) });
  let answer = await ask();
  if (answer.outcome === 'unlimited') return NOTHING_HELD;
  let settled = false;
  const hold: FleetBudgetHold = {
    held: () => !settled,
    async settle(spent) {
      if (settled) return;
      settled = true;
      await CancellationScope.nonCancellable(() => budget.settleFleetBudget({ spent }));
    },
  };
  try {
    while (answer.outcome === 'waiting' && !admitted) {
      moveTo(status, fleetBudgetStands(status, answer.text));
      phase('awaiting-budget');
      // The summary (user metadata, not replayed) shows the Web UI why the pipeline waits.
      const woken = () => admitted !== undefined || leavesLine();
      // Asks again every ASKS_AGAIN_EVERY_MS: a signal lost with a budget run that was terminated (its
      // next run reads the line from it) cannot leave it waiting for good, and the budget hears it is
      // alive (a waiter silent for three intervals leaves the line).
      if (await condition(woken, ASKS_AGAIN_EVERY_MS, { summary: answer.text })) {
        if (admitted !== undefined) break;
        // Left the line: nothing was created, nothing is spent.
        await hold.settle(0);
        return NOTHING_HELD;
      }
      answer = await ask();
    }
  } catch (err) {
    // Cancelled in line: leave it (nothing was created, nothing is spent).
    if (isCancellation(err)) await hold.settle(0);
    throw err;
  }
  moveTo(status, fleetBudgetStands(status, (admitted ?? answer).text));
  return hold;
}

/**
 * A sweep whose trials reserve: the pipeline is `awaiting-budget` while a trial is in line and none
 * trains, and back in `training` once one does.
 */
export function sweepBudgetPhase(status: PipelineStatus, phase: (p: PipelinePhase) => void) {
  return (why: string | undefined): void => {
    if (why !== undefined) {
      moveTo(status, fleetBudgetStands(status, why));
      if (status.phase === 'training') phase('awaiting-budget');
    } else if (status.phase === 'awaiting-budget') phase('training');
  };
}
