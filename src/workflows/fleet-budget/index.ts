import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  admitWaiting,
  byRefusal,
  dropNeverAdmitted,
  dropSilentWaiters,
  emptyLedger,
  fleetUsage,
  limitRefusal,
  nextWindowStart,
  pruneLedger,
  reservationRefusal,
  reserve,
  rewindow,
  settle,
  unsetLimit,
  unsetRefusal,
  usageText,
  type FleetLedger,
  type FleetReservation,
} from '../../decisions/fleet-budget';
import {
  fleetStops,
  markDelivered,
  markStopped,
  recordCost,
  settledWhenGone,
  stopNotice,
  stopsUndelivered,
} from '../../decisions/fleet-stop';
import {
  fleetBudgetCostSignal,
  fleetBudgetStateQuery,
  reserveFleetBudgetUpdate,
  setFleetBudgetUpdate,
  settleFleetBudgetUpdate,
  unsetFleetBudgetUpdate,
  type FleetBudgetInput,
  type FleetBudgetState,
} from './contract';
import { continueAsNewWhenIdle, continueDue, type Rebuilding } from '../long-lived';
import {
  dropsNeverAdmittedPatch,
  dropsSilentWaitersPatch,
  refusesWhenFullPatch,
  rewindowsOnSetPatch,
  stopsNewestPatch,
  takesCostReportsPatch,
} from './patches';

/** Until the run before is read nothing is admitted, so the read is tried for as long as it takes. */
const rebuild = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * Signals to admitted pipelines go through an activity (the worker's client), retried until the
 * pipeline has it or is known to have ended.
 */
const notify = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * The fleet budget of one task queue: the single writer of its ledger (the rule is
 * src/decisions/fleet-budget.ts). Pipelines reserve through an Update before they create a job and
 * settle through another when it ends; `starter budget set` changes the limit. Handlers run one
 * message at a time, so two reservations cannot both take the last of the budget. A pipeline in line
 * is signalled when it is admitted: after a settlement, a new limit, or the window's roll (a timer, set
 * only while someone waits). Runs for good (continue-as-new carries the ledger); a run started anew
 * after its run before ended otherwise (terminated) reads that run's ledger first and admits nothing
 * until it has; when it cannot, the record is lost and nothing is admitted until a budget is set again.
 */
export async function fleetBudget(input: FleetBudgetInput = {}): Promise<void> {
  let ledger: FleetLedger = input.ledger ?? emptyLedger();
  let rebuilding: Rebuilding | undefined =
    input.ledger === undefined && input.predecessorRunId
      ? { since: new Date(Date.now()).toISOString(), predecessorRunId: input.predecessorRunId }
      : undefined;
  const toNotify: FleetReservation[] = [];
  /** Counts the ledger's changes by messages: the loop looks again after each. */
  let changes = 0;
  const admitFromLine = () => {
    const kept = dropNeverAdmitted(ledger);
    if (kept !== ledger && dropsNeverAdmittedPatch()) ledger = kept;
    const heard = dropSilentWaiters(ledger, Date.now());
    if (heard !== ledger && dropsSilentWaitersPatch()) ledger = heard;
    const next = admitWaiting(ledger, Date.now());
    ledger = next.ledger;
    toNotify.push(...next.admitted);
  };
  const state = (): FleetBudgetState => ({
    ledger,
    ...(ledger.limit ? { usage: fleetUsage(ledger, Date.now()) } : {}),
    ...(rebuilding ? { rebuilding } : {}),
  });
  const rebuilt = () => condition(() => rebuilding === undefined);

  setHandler(
    reserveFleetBudgetUpdate,
    async (request) => {
      if (rebuilding) await rebuilt();
      // The validator saw the ledger before the rebuild: the rebuilt limit may refuse it.
      const refusal = reservationRefusal(ledger, request);
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'FLEET_BUDGET_REFUSED');
      const whenFull = request.whenFull === 'fail' && refusesWhenFullPatch() ? 'fail' : 'wait';
      const answer = reserve(ledger, { ...request, amount: request.amount ?? 0, whenFull }, Date.now());
      if (answer.answer.outcome === 'full')
        throw ApplicationFailure.nonRetryable(answer.answer.text, 'FLEET_BUDGET_FULL');
      ledger = answer.ledger;
      changes += 1;
      return answer.answer;
    },
    { validator: (request) => refuseWith(reservationRefusal(ledger, request)) },
  );
  setHandler(settleFleetBudgetUpdate, async (request) => {
    if (rebuilding) await rebuilt();
    ledger = settle(ledger, request, request.spent);
    changes += 1;
    admitFromLine();
    return state();
  });
  setHandler(
    setFleetBudgetUpdate,
    async ({ amount, windowMs, by }) => {
      if (rebuilding) await rebuilt();
      const setAt = new Date(Date.now()).toISOString();
      const rewindowed = rewindow(ledger, windowMs);
      if (rewindowed !== ledger && rewindowsOnSetPatch()) ledger = rewindowed;
      ledger = { ...ledger, limit: { amount, windowMs, setAt, ...(by ? { by } : {}) }, lost: undefined };
      changes += 1;
      admitFromLine();
      return state();
    },
    {
      validator: ({ amount, windowMs, by }) => refuseWith(limitRefusal(amount, windowMs) ?? byRefusal(by)),
    },
  );
  setHandler(
    unsetFleetBudgetUpdate,
    async () => {
      if (rebuilding) await rebuilt();
      // The validator saw the ledger before the rebuild: the rebuilt one may have no budget.
      const refusal = unsetRefusal(ledger, workflowInfo().taskQueue);
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'FLEET_BUDGET_NOT_SET');
      ledger = unsetLimit(ledger);
      changes += 1;
      admitFromLine();
      return state();
    },
    { validator: () => refuseWith(unsetRefusal(ledger, workflowInfo().taskQueue)) },
  );
  setHandler(fleetBudgetStateQuery, state);
  // A running job's cost by its pipeline's looks: only the reservation of exactly that run takes it.
  setHandler(fleetBudgetCostSignal, async (report) => {
    if (!takesCostReportsPatch()) return;
    if (rebuilding) await rebuilt();
    ledger = recordCost(ledger, report);
    changes += 1;
  });

  if (rebuilding) {
    const { workflowId, runId } = workflowInfo();
    const found = await rebuild.readFleetBudgetBefore({
      workflowId,
      runId,
      predecessorRunId: rebuilding.predecessorRunId,
    });
    ledger = found.ledger ?? { ...emptyLedger(), lost: { since: rebuilding.since, reason: found.reason } };
    rebuilding = undefined;
  }

  const historyDue = continueDue(input);
  for (;;) {
    admitFromLine();
    await Promise.all(toNotify.splice(0).map(notifyAdmitted));
    const beforeStops = changes;
    // A change while the stops were told (a lower limit, a report) is looked at again at once.
    const stopped = await stopNewestWhenOver();
    if (historyDue()) break;
    const seen = stopped ? beforeStops : changes;
    const changed = () => changes !== seen || toNotify.length > 0 || historyDue();
    const windowMs = ledger.limit?.windowMs;
    // Someone waits: the window's roll may admit them.
    if (ledger.waiters.length > 0 && windowMs !== undefined)
      await condition(changed, nextWindowStart(Date.now(), windowMs) - Date.now());
    else await condition(changed);
  }
  await continueAsNewWhenIdle<typeof fleetBudget>({
    historyEventLimit: input.historyEventLimit,
    ledger: pruneLedger(ledger, Date.now()),
  });

  /**
   * Spent + what the running jobs may still cost passes the limit: the newest are told to stop with a
   * saved checkpoint (their pipelines go on as when their own budget stopped them) and the operator is
   * notified. A run that has ended meanwhile counts the most its job may have cost.
   */
  async function stopNewestWhenOver(): Promise<boolean> {
    const due = fleetStops(ledger, Date.now());
    // Chosen before and not yet told: the run before ended between its choice and its signal.
    const untold = stopsUndelivered(ledger);
    if (due.stop.length === 0 && untold.length === 0) return false;
    if (!stopsNewestPatch()) return false;
    ledger = markStopped(ledger, due.stop, due.reason, Date.now());
    await Promise.all(
      [...untold, ...due.stop].map(async (r) => {
        const { workflowId, runId } = r;
        const reason = r.stopped?.reason ?? due.reason;
        const told = await notify.signalFleetBudgetStop({ workflowId, runId, reason });
        ledger = told === 'gone' ? settle(ledger, r, settledWhenGone(r)) : markDelivered(ledger, r);
      }),
    );
    // Told in the background: a webhook that does not answer never holds admissions or stops up.
    if (due.stop.length > 0)
      void notifyOperator
        .notifyWebhook({
          workflowId: workflowInfo().workflowId,
          kind: 'fleet-budget-stopped',
          phase: 'over-budget',
          text: stopNotice(due.stop, due.reason),
        })
        .catch(() => undefined);
    return true;
  }

  /** Tells an admitted pipeline; one that has ended meanwhile gives its reservation back. */
  async function notifyAdmitted(reservation: FleetReservation): Promise<void> {
    const usage = fleetUsage(ledger, Date.now());
    const answer = {
      outcome: 'admitted' as const,
      ...(usage ? { usage } : {}),
      text: usage ? `reserved: ${usageText(usage)}` : 'reserved',
    };
    const { workflowId, runId } = reservation;
    const told = await notify.signalFleetBudgetAdmitted({ workflowId, runId, answer });
    if (told === 'gone') ledger = settle(ledger, reservation, 0);
  }
}

/** The operator's notice is tried a few times and then dropped: it never holds the budget up. */
const notifyOperator = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
});

function refuseWith(refusal: string | undefined): void {
  if (refusal) throw new Error(refusal);
}
