/**
 * The fleet budget of one task queue: what its pipelines' training jobs may spend in a window (a day
 * by default). A pipeline reserves its job's expected cost before the job is created; the reservation
 * is admitted while spent + reserved + it stays within the limit, otherwise it waits in line (first
 * come, first admitted) until a settlement or the window's roll frees enough. A job's end settles its
 * reservation to the cost the looks reported, releasing the rest. Each reservation counts in the
 * window it was admitted in. Pure: the `fleetBudget` workflow applies it, one message at a time.
 */

export const DAY_MS = 24 * 60 * 60 * 1000;
/** `--per-month`: a window of 30 days, the same length every time (not a calendar month). */
export const MONTH_MS = 30 * DAY_MS;
/**
 * The longest window: ten years (the tests' "never rolls during a test" is 400 days). A window's end
 * must be a date (`starter budget`, a waiting pipeline's "the window rolls at …"); one of 200,000,000
 * days has none, and the budget workflow failed at it.
 */
export const MAX_WINDOW_MS = 3650 * DAY_MS;

/** The pipeline run that holds a reservation or waits for one. */
export interface BudgetHolder {
  workflowId: string;
  runId: string;
}

export interface FleetLimit {
  /** Most the fleet's jobs may cost in one window. */
  amount: number;
  windowMs: number;
  setAt: string;
  by?: string;
}

export interface FleetReservation extends BudgetHolder {
  amount: number;
  /** The window it was admitted in (its start): it counts there only. */
  windowStartMs: number;
  at: string;
  /** Set once the job ended: what it cost, by the looks made. */
  spent?: number;
  /** What the job had cost by its pipeline's last report, while it runs (src/decisions/fleet-stop.ts). */
  reported?: number;
  /**
   * Its run can stop its job when the fleet budget asks (it said so with its first report): only such a
   * run is ever asked. A run of code before the stop, or one whose job is not yet created, is not.
   */
  stoppable?: boolean;
  /** The fleet budget chose to stop the job, and why; `delivered` once its run has been told. */
  stopped?: { at: string; reason: string; delivered?: boolean };
}

export interface FleetWaiter extends BudgetHolder {
  amount: number;
  since: string;
  /** Its run's last ask (every `ASKS_AGAIN_EVERY_MS` while it waits); none yet: `since`. */
  askedAt?: string;
}

/** How often a run in line asks again (src/workflows/pipeline/fleet-budget.ts). */
export const ASKS_AGAIN_EVERY_MS = 15 * 60_000;

/**
 * A waiter that has not asked for this long missed two asks in a row: its run ended without leaving the
 * line (terminated, reset) or its workers are away. It leaves the line; a run that is alive after all
 * joins again at the back with its next ask.
 */
export const WAITER_SILENT_AFTER_MS = 3 * ASKS_AGAIN_EVERY_MS;

export interface FleetLedger {
  /** None: no budget was set, every reservation is admitted unrecorded. */
  limit?: FleetLimit;
  reservations: FleetReservation[];
  /** In arrival order: the first is admitted first. */
  waiters: FleetWaiter[];
  /** The record was lost (a run started anew whose run before could not be read): nothing is admitted until a budget is set again. */
  lost?: { since: string; reason: string };
}

export interface FleetUsage {
  limit: number;
  windowMs: number;
  windowStartMs: number;
  windowEndMs: number;
  /** Settled: what the ended jobs of this window cost. */
  spent: number;
  /** Held by jobs of this window that have not ended. */
  reserved: number;
  left: number;
  waiting: number;
}

/** What a pipeline does when its reservation does not fit: wait in line, or fail (its `budget.whenFleetFull`). */
export type WhenFleetFull = 'wait' | 'fail';

export interface ReserveRequest extends BudgetHolder {
  /** The job's expected cost (its `budget.maxCost`); none is refused only while a budget is set. */
  amount?: number;
  /** None: wait. */
  whenFull?: WhenFleetFull;
}

export interface ReserveAnswer {
  /**
   * `unlimited`: no budget is set (nothing recorded); `waiting`: in line, told when admitted; `full`: it
   * would wait but asked to fail instead (nothing recorded).
   */
  outcome: 'admitted' | 'waiting' | 'unlimited' | 'full';
  usage?: FleetUsage;
  /** What a person reads: the phase detail while waiting. */
  text: string;
}

/** What a settlement says a job spent: `unknown` keeps the whole reservation as spent. */
export type SettledSpend = number | 'unknown';

export const emptyLedger = (): FleetLedger => ({ reservations: [], waiters: [] });

export const windowStartOf = (nowMs: number, windowMs: number) => Math.floor(nowMs / windowMs) * windowMs;

/** When the current window ends and its reservations stop counting. */
export const nextWindowStart = (nowMs: number, windowMs: number) => windowStartOf(nowMs, windowMs) + windowMs;

const sameHolder = (a: BudgetHolder, b: BudgetHolder) => a.workflowId === b.workflowId && a.runId === b.runId;

/** Spent, reserved and left in the window `nowMs` falls in; none without a limit. */
export function fleetUsage(ledger: FleetLedger, nowMs: number): FleetUsage | undefined {
  const limit = ledger.limit;
  if (!limit) return undefined;
  const windowStartMs = windowStartOf(nowMs, limit.windowMs);
  let spent = 0;
  let reserved = 0;
  for (const r of ledger.reservations) {
    if (r.windowStartMs !== windowStartMs) continue;
    if (r.spent !== undefined) spent += r.spent;
    else reserved += r.amount;
  }
  return {
    limit: limit.amount,
    windowMs: limit.windowMs,
    windowStartMs,
    windowEndMs: windowStartMs + limit.windowMs,
    spent,
    reserved,
    left: Math.max(0, limit.amount - spent - reserved),
    waiting: ledger.waiters.length,
  };
}

/**
 * Why a reservation can never be admitted, naming the pipeline field it comes from; undefined when it
 * can. Refused before anything is recorded, created or billed.
 */
export function reservationRefusal(ledger: FleetLedger, request: ReserveRequest): string | undefined {
  if (!request.workflowId || !request.runId)
    return 'a fleet budget reservation must name the workflow run that holds it (workflowId and runId)';
  // Without a budget nothing is reserved, so nothing is asked of the pipeline.
  if (!ledger.limit && !ledger.lost) return undefined;
  if (request.amount === undefined || request.amount === null)
    return 'budget.maxCost is needed while this task queue has a fleet budget: the job’s cost is reserved against it before the job is created';
  if (typeof request.amount !== 'number' || !Number.isFinite(request.amount) || request.amount <= 0)
    return `budget.maxCost must be an amount above 0 to reserve against the fleet budget (got ${String(request.amount)})`;
  const limit = ledger.limit;
  if (limit && request.amount > limit.amount)
    return `budget.maxCost (${money(request.amount)}) is more than the whole fleet budget (${money(limit.amount)} ${windowWords(limit.windowMs)}): it could never be admitted; lower budget.maxCost or raise the budget with \`starter budget set\``;
  return undefined;
}

/**
 * Admits the request when it fits the window and nobody waits before it, else puts it in line.
 * Asking again (an activity's retry) answers the same without a second reservation.
 */
export function reserve(
  ledger: FleetLedger,
  request: BudgetHolder & { amount: number; whenFull?: WhenFleetFull },
  nowMs: number,
): { ledger: FleetLedger; answer: ReserveAnswer } {
  if (ledger.lost) {
    if (ledger.waiters.some((w) => sameHolder(w, request)))
      return { ledger: askedAgain(ledger, request, nowMs), answer: lostAnswer(ledger.lost) };
    if (request.whenFull === 'fail') return { ledger, answer: fullAnswer(lostAnswer(ledger.lost).text) };
    const waiter = { ...holderOf(request), amount: request.amount, since: new Date(nowMs).toISOString() };
    return { ledger: { ...ledger, waiters: [...ledger.waiters, waiter] }, answer: lostAnswer(ledger.lost) };
  }
  const usage = fleetUsage(ledger, nowMs);
  if (!usage) return { ledger, answer: { outcome: 'unlimited', text: 'no fleet budget is set' } };
  if (ledger.reservations.some((r) => sameHolder(r, request)))
    return { ledger, answer: admittedAnswer(usage) };
  if (ledger.waiters.some((w) => sameHolder(w, request)))
    return { ledger: askedAgain(ledger, request, nowMs), answer: waitingAnswer(usage) };
  const at = new Date(nowMs).toISOString();
  if (ledger.waiters.length === 0 && fits(usage, request.amount)) {
    const reservation = {
      ...holderOf(request),
      amount: request.amount,
      windowStartMs: usage.windowStartMs,
      at,
    };
    const next = { ...ledger, reservations: [...ledger.reservations, reservation] };
    return { ledger: next, answer: admittedAnswer(fleetUsage(next, nowMs)!) };
  }
  if (request.whenFull === 'fail') return { ledger, answer: fullAnswer(waitingAnswer(usage).text) };
  const waiter = { ...holderOf(request), amount: request.amount, since: at };
  const next = { ...ledger, waiters: [...ledger.waiters, waiter] };
  return { ledger: next, answer: waitingAnswer(fleetUsage(next, nowMs)!) };
}

/**
 * A job ended (or was never created): its reservation now counts what it spent, the rest is free. A
 * holder still in line leaves it. Spend that is not a number keeps the whole reservation.
 */
export function settle(ledger: FleetLedger, holder: BudgetHolder, spent: SettledSpend): FleetLedger {
  return {
    ...ledger,
    waiters: ledger.waiters.filter((w) => !sameHolder(w, holder)),
    reservations: ledger.reservations.map((r) =>
      sameHolder(r, holder) && r.spent === undefined
        ? {
            ...r,
            spent: typeof spent === 'number' && Number.isFinite(spent) && spent >= 0 ? spent : r.amount,
          }
        : r,
    ),
  };
}

/**
 * A waiter whose amount is more than the whole limit in force (a limit lowered after it joined) can
 * never be admitted: first in line it held everyone behind it for good, through every window's roll.
 * It leaves the line; its run, asking again (every 15 minutes), is refused naming budget.maxCost. No
 * limit, or a lost record: nobody leaves. Nobody to drop: the very ledger.
 */
export function dropNeverAdmitted(ledger: FleetLedger): FleetLedger {
  const limit = ledger.limit;
  if (!limit || ledger.lost) return ledger;
  const waiters = ledger.waiters.filter((w) => w.amount <= limit.amount);
  return waiters.length === ledger.waiters.length ? ledger : { ...ledger, waiters };
}

/** A waiter's run asked again: it is alive, and keeps its place. */
function askedAgain(ledger: FleetLedger, holder: BudgetHolder, nowMs: number): FleetLedger {
  const askedAt = new Date(nowMs).toISOString();
  return { ...ledger, waiters: ledger.waiters.map((w) => (sameHolder(w, holder) ? { ...w, askedAt } : w)) };
}

/**
 * Waiters whose run has not asked for `WAITER_SILENT_AFTER_MS` (exactly that counts) leave the line: a
 * run terminated while it waited otherwise held everyone behind it until it fitted, up to a whole
 * window. Nothing was created for a waiter, so nothing billed is left unowned. Nobody to drop: the very
 * ledger.
 */
export function dropSilentWaiters(ledger: FleetLedger, nowMs: number): FleetLedger {
  const waiters = ledger.waiters.filter(
    (w) => nowMs - Date.parse(w.askedAt ?? w.since) < WAITER_SILENT_AFTER_MS,
  );
  return waiters.length === ledger.waiters.length ? ledger : { ...ledger, waiters };
}

/** Admits waiters in order while each fits; the first that does not fit keeps its place and those behind it. */
export function admitWaiting(
  ledger: FleetLedger,
  nowMs: number,
): { ledger: FleetLedger; admitted: FleetReservation[] } {
  if (ledger.lost) return { ledger, admitted: [] };
  let next = ledger;
  const admitted: FleetReservation[] = [];
  while (next.waiters.length > 0) {
    const [first, ...rest] = next.waiters;
    const usage = fleetUsage(next, nowMs);
    const amount = first!.amount;
    // Without a limit (none was ever known) nobody has to wait.
    const windowStartMs = usage?.windowStartMs ?? windowStartOf(nowMs, DAY_MS);
    if (usage && !fits(usage, amount)) break;
    const reservation = { ...holderOf(first!), amount, windowStartMs, at: new Date(nowMs).toISOString() };
    admitted.push(reservation);
    next = { ...next, waiters: rest, reservations: [...next.reservations, reservation] };
  }
  return { ledger: next, admitted };
}

/**
 * A new window length (`starter budget set --per-month` after `--per-day`, another `--window`, a set
 * after an unset): each reservation counts in the window of the new length its admission (`at`) falls
 * in. Left stamped with its window of the old length it would count in no window of the new one, and
 * the fleet would be admitted a whole budget again. The same length: the very ledger.
 */
export function rewindow(ledger: FleetLedger, windowMs: number): FleetLedger {
  let changed = false;
  const reservations = ledger.reservations.map((r) => {
    const admittedMs = Date.parse(r.at);
    if (!Number.isFinite(admittedMs)) return r;
    const windowStartMs = windowStartOf(admittedMs, windowMs);
    if (windowStartMs === r.windowStartMs) return r;
    changed = true;
    return { ...r, windowStartMs };
  });
  return changed ? { ...ledger, reservations } : ledger;
}

/** A reservation that no longer counts and no one will settle: settled in a window before this one. */
export function pruneLedger(ledger: FleetLedger, nowMs: number): FleetLedger {
  if (!ledger.limit)
    return { ...ledger, reservations: ledger.reservations.filter((r) => r.spent === undefined) };
  const current = windowStartOf(nowMs, ledger.limit.windowMs);
  return {
    ...ledger,
    reservations: ledger.reservations.filter((r) => r.spent === undefined || r.windowStartMs >= current),
  };
}

/** Why a budget setting is refused, naming the flag (`--per-day` unless told); undefined when it is fine. */
export function limitRefusal(
  amount: number,
  windowMs: number,
  flag: '--per-day' | '--per-month' = windowMs === MONTH_MS ? '--per-month' : '--per-day',
): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)
    return `${flag} must be an amount above 0 (got ${String(amount)})`;
  if (
    typeof windowMs !== 'number' ||
    !Number.isFinite(windowMs) ||
    windowMs < 1000 ||
    windowMs > MAX_WINDOW_MS
  )
    return `--window must be a duration from 1s to 3650d (got ${String(windowMs)} ms)`;
  return undefined;
}

/** The most characters of who set the budget (`--by`), as every `--by` of the CLI. */
export const BY_MAX = 100;

/** Why who set the budget (`--by`) is refused: it is kept in the ledger and printed with it. */
export function byRefusal(by: unknown): string | undefined {
  if (by === undefined) return undefined;
  if (typeof by !== 'string' || !by.trim()) return '--by must not be empty';
  if (by.length > BY_MAX) return `--by must be at most ${BY_MAX} characters`;
  if (/[\p{Cc}]/u.test(by)) return '--by must not have control characters';
  return undefined;
}

/** Why `starter budget unset` is refused, and what to do; undefined when there is a budget to unset. */
export function unsetRefusal(ledger: FleetLedger, taskQueue: string): string | undefined {
  if (ledger.limit || ledger.lost) return undefined;
  return `no fleet budget is set for task queue ${taskQueue}: nothing to unset (\`starter budget\` shows it; \`starter budget set --per-day <amount>\` sets one)`;
}

/**
 * No budget from now on: nothing is reserved, and every run in line is admitted. What is held stays
 * in the ledger and is still settled, so a budget set again counts it.
 */
export const unsetLimit = (ledger: FleetLedger): FleetLedger => ({
  ...ledger,
  limit: undefined,
  lost: undefined,
});

/**
 * A warning when a new limit is below what the window has already spent and reserved: nothing more is
 * admitted until the window rolls, and the newest jobs are stopped while what runs may cost more than
 * is left (src/decisions/fleet-stop.ts). None at or above it.
 */
export function limitBelowUseWarning(usage: FleetUsage | undefined): string | undefined {
  if (!usage) return undefined;
  const used = usage.spent + usage.reserved;
  if (!(used > usage.limit)) return undefined;
  return `warning: the fleet has already spent ${money(usage.spent)} and reserved ${money(usage.reserved)} ${windowName(usage.windowMs)}, ${money(used - usage.limit)} above the new budget of ${money(usage.limit)}: nothing more is admitted until the window rolls at ${new Date(usage.windowEndMs).toISOString()}, and the newest running jobs are stopped with a saved checkpoint until what the rest may cost fits`;
}

const fits = (usage: FleetUsage, amount: number) => usage.spent + usage.reserved + amount <= usage.limit;

const holderOf = (h: BudgetHolder): BudgetHolder => ({ workflowId: h.workflowId, runId: h.runId });

export const money = (amount: number) => `$${Number.isInteger(amount) ? amount : amount.toFixed(2)}`;

/** "per day", or the window's length when it is not a day. */
export function windowWords(windowMs: number): string {
  if (windowMs === DAY_MS) return 'per day';
  if (windowMs === MONTH_MS) return 'per 30 days';
  const units: [number, string][] = [
    [DAY_MS, 'd'],
    [60 * 60 * 1000, 'h'],
    [60 * 1000, 'm'],
    [1000, 's'],
  ];
  const [size, unit] = units.find(([size]) => windowMs % size === 0) ?? [1, 'ms'];
  return `per ${windowMs / size}${unit} window`;
}

const windowName = (windowMs: number) =>
  windowMs === DAY_MS ? 'today' : windowMs === MONTH_MS ? 'these 30 days' : 'this window';

/** "fleet at $X of $Y today": spent and reserved together. */
export function usageText(usage: FleetUsage): string {
  return `fleet at ${money(usage.spent + usage.reserved)} of ${money(usage.limit)} ${windowName(usage.windowMs)}`;
}

/**
 * Where a run in line stands now, in the words of its wait: its place, the fleet and the window in
 * force. A pipeline's own words are those of its last ask (every 15 minutes), from before a `starter
 * budget set` that changed the limit or the window. None for a run not in line.
 */
export function lineStanding(ledger: FleetLedger, holder: BudgetHolder, nowMs: number): string | undefined {
  const place = ledger.waiters.findIndex((w) => sameHolder(w, holder));
  if (place < 0) return undefined;
  if (ledger.lost) return lostAnswer(ledger.lost).text;
  const usage = fleetUsage(ledger, nowMs);
  if (!usage) return undefined;
  const n = place + 1;
  const nth = `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;
  return `awaiting budget: ${usageText(usage)} (${nth} of ${ledger.waiters.length} in line; the window rolls at ${new Date(usage.windowEndMs).toISOString()})`;
}

function admittedAnswer(usage: FleetUsage): ReserveAnswer {
  return { outcome: 'admitted', usage, text: `reserved: ${usageText(usage)}` };
}

function waitingAnswer(usage: FleetUsage): ReserveAnswer {
  return {
    outcome: 'waiting',
    usage,
    text: `awaiting budget: ${usageText(usage)} (${usage.waiting} waiting; the window rolls at ${new Date(usage.windowEndMs).toISOString()})`,
  };
}

/** Refuses, naming the field, what would have waited: `why` is what waiting would have said. */
function fullAnswer(why: string): ReserveAnswer {
  return {
    outcome: 'full',
    text: `budget.whenFleetFull is "fail" and the fleet budget is full (${why.replace(/^awaiting budget: /, '')}): no job was created; set budget.whenFleetFull to "wait" to wait in line, or raise the budget with \`starter budget set\``,
  };
}

function lostAnswer(lost: NonNullable<FleetLedger['lost']>): ReserveAnswer {
  return {
    outcome: 'waiting',
    text: `awaiting budget: the fleet budget's record was lost (${lost.reason}); nothing starts until \`starter budget set\` sets it again`,
  };
}
