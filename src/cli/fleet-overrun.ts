import type { Client } from '@temporalio/client';
import { jobsToStop, type RunningHold } from '../decisions/fleet-overrun';
import { money } from '../decisions/fleet-budget';
import type { FleetBudgetState } from '../workflows/fleet-budget/contract';
import { statusQuery } from '../workflows/pipeline/contract';

/** A sweep trial's holder id: its pipeline's id and its index. */
const TRIAL_ID = /^(.*)\/trial-(\d+)$/;

/**
 * What each job holding a reservation of this window has cost by its last look, read from its pipeline's
 * status (no provider request); none when the pipeline cannot be asked.
 */
export async function heldWithCosts(client: Client, state: FleetBudgetState): Promise<RunningHold[]> {
  const usage = state.usage;
  if (!usage) return [];
  const held = state.ledger.reservations.filter(
    (r) => r.spent === undefined && r.windowStartMs === usage.windowStartMs,
  );
  return Promise.all(
    held.map(async (r): Promise<RunningHold> => {
      const trial = TRIAL_ID.exec(r.workflowId);
      const cost = await (
        trial
          ? client.workflow
              .getHandle(trial[1])
              .query(statusQuery)
              .then((s) => s.sweep?.trials[Number(trial[2])]?.cost)
          : client.workflow
              .getHandle(r.workflowId, r.runId)
              .query(statusQuery)
              .then((s) => s.training?.cost)
      ).catch(() => undefined);
      return {
        workflowId: r.workflowId,
        runId: r.runId,
        amount: r.amount,
        at: r.at,
        ...(cost !== undefined ? { cost } : {}),
      };
    }),
  );
}

/** The line naming the newest jobs the fleet budget stops so the fleet fits it again; none when it fits. */
export function overrunLine(state: FleetBudgetState, held: RunningHold[]): string | undefined {
  const usage = state.usage;
  if (!usage) return undefined;
  const stop = jobsToStop(usage.limit, usage.spent, held);
  if (stop.length === 0) return undefined;
  const named = stop.map((h) => {
    const trial = TRIAL_ID.exec(h.workflowId);
    const who = trial ? `${trial[1]} (its trial ${Number(trial[2])})` : h.workflowId;
    return `${who} (${h.cost !== undefined ? `cost so far ${money(h.cost)}` : 'no cost reported yet'} of ${money(h.amount)})`;
  });
  return `to fit it, the fleet budget stops the newest first, each with a saved checkpoint (their pipelines go on with the best checkpoint trained): ${named.join(', ')}`;
}

/**
 * The runs holding a reservation or a place in line that have ended (`workflowId/runId` → status): a
 * run terminated while it held or waited never settles, and the ledger cannot know it. A run that
 * cannot be described is left out (nothing is claimed about it).
 */
export async function endedRuns(
  client: Client,
  state: FleetBudgetState | undefined,
): Promise<Map<string, string>> {
  const ledger = state?.ledger;
  const holders = [
    ...(ledger?.reservations.filter((r) => r.spent === undefined) ?? []),
    ...(ledger?.waiters ?? []),
  ];
  const ended = new Map<string, string>();
  await Promise.all(
    holders.slice(0, 200).map(async (h) => {
      const trial = TRIAL_ID.exec(h.workflowId);
      const status = await client.workflow
        .getHandle(trial ? trial[1] : h.workflowId, h.runId)
        .describe()
        .then(
          (d) => d.status.name,
          () => undefined,
        );
      if (status && status !== 'RUNNING') ended.set(`${h.workflowId}/${h.runId}`, status);
    }),
  );
  return ended;
}
