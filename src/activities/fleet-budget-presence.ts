import { Context } from '@temporalio/activity';
import { workflowExists } from '../clients/long-lived';
import {
  FLEET_BUDGET_PRESENCE_FRESH_MS,
  freshPresence,
  type FleetBudgetPresence,
  type LearnedPresence,
} from '../decisions/fleet-budget-presence';
import { fleetBudgetId } from '../workflows/fleet-budget/contract';

/** What a pipeline asks its worker before reserving: the queue's fleet budget and the worker's webhook. */
export interface WorkerPresence {
  fleetBudget: FleetBudgetPresence;
  /** Whether NOTIFY_WEBHOOK_URL is set on the worker that answered. */
  webhook: boolean;
}

/**
 * Whether the calling workflow's task queue has a fleet budget: one describe
 * of `fleet-budget--<queue>` per worker process and queue while the answer is fresh, shared by the
 * pipelines that ask meanwhile. A describe that fails throws (nothing is learned): the pipeline then
 * reserves, as it would without asking.
 */
export function fleetBudgetPresenceActivities(
  freshMs: number = FLEET_BUDGET_PRESENCE_FRESH_MS,
  worker: { webhook: boolean } = { webhook: false },
) {
  const learned = new Map<string, LearnedPresence>();
  const asking = new Map<string, Promise<FleetBudgetPresence>>();

  async function ask(key: string, budgetId: string): Promise<FleetBudgetPresence> {
    const { client } = Context.current();
    // Counted from before the question: the answer is at least this recent.
    const askedAtMs = Date.now();
    const presence: FleetBudgetPresence = (await workflowExists(client, budgetId)) ? 'set' : 'none';
    learned.set(key, { presence, learnedAtMs: askedAtMs });
    return presence;
  }

  const activities = {
    async fleetBudgetPresence(): Promise<FleetBudgetPresence> {
      const { namespace, taskQueue } = Context.current().info;
      const key = `${namespace}/${taskQueue}`;
      const known = freshPresence(learned.get(key), Date.now(), freshMs);
      if (known) return known;
      let answer = asking.get(key);
      if (!answer) {
        answer = ask(key, fleetBudgetId(taskQueue)).finally(() => asking.delete(key));
        asking.set(key, answer);
      }
      return answer;
    },

    /**
     * The fleet-budget question and whether this worker has a webhook, in one activity: a pipeline told
     * `webhook: false` schedules no notification at all (the webhook is a worker setting, no I/O).
     */
    async workerPresence(): Promise<WorkerPresence> {
      return { fleetBudget: await activities.fleetBudgetPresence(), webhook: worker.webhook };
    },
  };
  return activities;
}
