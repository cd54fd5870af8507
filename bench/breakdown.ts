import type { temporal } from '@temporalio/proto';

/**
 * Where one pipeline's wall time goes, read from its history and its children's (and the Updates it
 * made on long-lived workflows: the serving slot, the protection registry). Every interval a history
 * shows becomes a span; where spans overlap, the most specific wins (`PRIORITY`), so each millisecond
 * of the pipeline's wall time is counted once, in one column of one step.
 */

type Event = temporal.api.history.v1.IHistoryEvent;

/** What a span of time was spent on. */
export type SpanKind =
  /** Waiting on purpose: a durable timer, the server's wait between a watch's looks, readiness polls. */
  | 'deliberate'
  /** An Update (or a signal) carried out by another workflow, from its workflow task to its answer. */
  | 'update'
  /** An activity attempt running on the worker (the provider call and the worker's own work). */
  | 'work'
  /** An activity scheduled but not started yet, and a retry's backoff after a failure. */
  | 'queued'
  /** A workflow task: queued on the task queue, then run by the worker. */
  | 'workflow-task'
  /** A child workflow started but not running its own tasks yet (its start and its end). */
  | 'child';

/** Higher wins where spans overlap. */
const PRIORITY: Record<SpanKind, number> = {
  deliberate: 6,
  update: 5,
  work: 4,
  queued: 3,
  'workflow-task': 2,
  child: 1,
};

export interface Span {
  /** The workflow type whose history shows it. */
  workflow: string;
  /** The step it belongs to: an activity, child, Update, timer or signal (a workflow task: the step that woke it). */
  step: string;
  kind: SpanKind;
  fromMs: number;
  toMs: number;
}

const at = (e: Event): number => {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : NaN;
};

function timerSummary(e: Event): string {
  const data = e.userMetadata?.summary?.data;
  if (!data) return e.timerStartedEventAttributes?.timerId ?? 'timer';
  try {
    return String(JSON.parse(Buffer.from(data).toString('utf8')));
  } catch {
    return 'timer';
  }
}

/** Why a retried activity waited between attempts, when the wait was asked for (a benign failure). */
function deliberateReason(
  activity: string,
  lastFailure: temporal.api.failure.v1.IFailure,
): string | undefined {
  const info = lastFailure.applicationFailureInfo;
  const benign = String(info?.category ?? '').includes('BENIGN') || info?.category === 1;
  if (info?.type === 'NOT_SERVING_YET') return 'readiness polls';
  if (!benign && info?.type !== 'JOB_UNCHANGED') return undefined;
  if (/to confirm/.test(lastFailure.message ?? '')) return 'confirming second look';
  if (activity === 'watchTrainingJob') return 'looks at the job between reports';
  return `waits (${info?.type ?? 'benign'})`;
}

/** The spans of one history. `workflow` names it; `untilMs` clips long-lived workflows to the window. */
export function spansOf(events: Event[], workflow?: string): Span[] {
  const spans: Span[] = [];
  const type = workflow ?? events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
  const add = (step: string, kind: SpanKind, fromMs: number, toMs: number) => {
    if (toMs > fromMs) spans.push({ workflow: type, step, kind, fromMs, toMs });
  };
  const scheduled = new Map<string, { name: string; atMs: number; startedAtMs?: number }>();
  const timers = new Map<string, { name: string; atMs: number }>();
  const children = new Map<string, { name: string; atMs: number }>();
  const signals = new Map<string, { name: string; atMs: number }>();
  const updates = new Map<string, { name: string; atMs: number }>();
  /** The step whose end woke the next workflow task. */
  let waker = 'start';
  let task: { scheduledMs: number; startedMs?: number; waker: string } | undefined;
  let lastTaskScheduledMs = NaN;
  for (const e of events) {
    const t = at(e);
    const id = String(e.eventId);
    if (e.workflowTaskScheduledEventAttributes) {
      task = { scheduledMs: t, waker };
      lastTaskScheduledMs = t;
    } else if (e.workflowTaskStartedEventAttributes && task) task.startedMs = t;
    else if (
      (e.workflowTaskCompletedEventAttributes ||
        e.workflowTaskFailedEventAttributes ||
        e.workflowTaskTimedOutEventAttributes) &&
      task
    ) {
      add(`${task.waker} → workflow task`, 'workflow-task', task.scheduledMs, t);
      task = undefined;
    } else if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', atMs: t });
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const s = scheduled.get(String(a.scheduledEventId));
      if (s) {
        s.startedAtMs = t;
        const reason =
          (a.attempt ?? 1) > 1 && a.lastFailure ? deliberateReason(s.name, a.lastFailure) : undefined;
        if (reason) add(`${s.name}: ${reason}`, 'deliberate', s.atMs, t);
        else add(s.name, 'queued', s.atMs, t);
      }
    } else if (
      e.activityTaskCompletedEventAttributes ||
      e.activityTaskFailedEventAttributes ||
      e.activityTaskTimedOutEventAttributes ||
      e.activityTaskCanceledEventAttributes
    ) {
      const a =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes!;
      const s = scheduled.get(String(a.scheduledEventId));
      if (s) {
        add(s.name, s.startedAtMs === undefined ? 'queued' : 'work', s.startedAtMs ?? s.atMs, t);
        waker = s.name;
      }
    } else if (e.timerStartedEventAttributes) {
      timers.set(e.timerStartedEventAttributes.timerId ?? id, { name: timerSummary(e), atMs: t });
    } else if (e.timerFiredEventAttributes || e.timerCanceledEventAttributes) {
      const timerId = (e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes)!.timerId ?? '';
      const s = timers.get(timerId);
      if (s) {
        add(`timer: ${s.name}`, 'deliberate', s.atMs, t);
        waker = 'timer';
      }
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      const name = e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType?.name ?? '?';
      children.set(id, { name: `child ${name}`, atMs: t });
    } else if (
      e.childWorkflowExecutionCompletedEventAttributes ||
      e.childWorkflowExecutionFailedEventAttributes ||
      e.childWorkflowExecutionCanceledEventAttributes ||
      e.childWorkflowExecutionTimedOutEventAttributes ||
      e.childWorkflowExecutionTerminatedEventAttributes
    ) {
      const a =
        e.childWorkflowExecutionCompletedEventAttributes ??
        e.childWorkflowExecutionFailedEventAttributes ??
        e.childWorkflowExecutionCanceledEventAttributes ??
        e.childWorkflowExecutionTimedOutEventAttributes ??
        e.childWorkflowExecutionTerminatedEventAttributes!;
      const s = children.get(String(a.initiatedEventId));
      if (s) {
        add(s.name, 'child', s.atMs, t);
        waker = s.name;
      }
    } else if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) {
      signals.set(id, {
        name: `signal ${e.signalExternalWorkflowExecutionInitiatedEventAttributes.signalName ?? '?'}`,
        atMs: t,
      });
    } else if (e.externalWorkflowExecutionSignaledEventAttributes) {
      const s = signals.get(String(e.externalWorkflowExecutionSignaledEventAttributes.initiatedEventId));
      if (s) add(s.name, 'update', s.atMs, t);
    } else if (e.workflowExecutionSignaledEventAttributes) {
      waker = `signal ${e.workflowExecutionSignaledEventAttributes.signalName ?? '?'}`;
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const a = e.workflowExecutionUpdateAcceptedEventAttributes;
      // An Update is admitted with the workflow task that runs it: it starts when that task was scheduled.
      updates.set(id, { name: `Update ${a.acceptedRequest?.input?.name ?? '?'}`, atMs: lastTaskScheduledMs });
      waker = `Update ${a.acceptedRequest?.input?.name ?? '?'}`;
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      const s = updates.get(String(e.workflowExecutionUpdateCompletedEventAttributes.acceptedEventId));
      if (s) add(s.name, 'update', s.atMs, t);
    }
  }
  return spans;
}

/** The ids of the children a history started. */
export function childIds(events: Event[]): string[] {
  return events.flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
}

/** The start and end of a history (its first and last events). */
export function historyWindow(events: Event[]): { fromMs: number; toMs: number } {
  return { fromMs: at(events[0]), toMs: at(events[events.length - 1]) };
}

/** Milliseconds per (workflow, step, kind) within the window, each counted once; 'gap' where nothing was pending. */
export interface Attribution {
  /** key: `${workflow}\t${step}\t${kind}` */
  ms: Map<string, number>;
  gapMs: number;
  wallMs: number;
}

export function attribute(spans: Span[], fromMs: number, toMs: number): Attribution {
  const inside = spans
    .map((s) => ({ ...s, fromMs: Math.max(s.fromMs, fromMs), toMs: Math.min(s.toMs, toMs) }))
    .filter((s) => s.toMs > s.fromMs);
  const points = [...new Set([fromMs, toMs, ...inside.flatMap((s) => [s.fromMs, s.toMs])])].sort(
    (a, b) => a - b,
  );
  const ms = new Map<string, number>();
  let gapMs = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    let best: Span | undefined;
    for (const s of inside)
      if (s.fromMs <= a && s.toMs >= b && (!best || PRIORITY[s.kind] > PRIORITY[best.kind])) best = s;
    if (!best) gapMs += b - a;
    else {
      const key = `${best.workflow}\t${best.step}\t${best.kind}`;
      ms.set(key, (ms.get(key) ?? 0) + b - a);
    }
  }
  return { ms, gapMs, wallMs: toMs - fromMs };
}

/** Totals per kind of an attribution. */
export function perKind(a: Attribution): Record<SpanKind | 'gap', number> {
  const totals = { deliberate: 0, update: 0, work: 0, queued: 0, 'workflow-task': 0, child: 0, gap: a.gapMs };
  for (const [key, v] of a.ms) totals[key.split('\t')[2] as SpanKind] += v;
  return totals;
}

const COLUMNS: SpanKind[] = ['work', 'queued', 'workflow-task', 'child', 'update', 'deliberate'];

/**
 * Rows of the breakdown table, medians over runs: one row per (workflow, step) with its milliseconds
 * in each kind of span; deliberate waits in their own column, beside the overhead the step cost.
 */
export function breakdownRows(runs: Attribution[]): (string | number)[][] {
  const steps = new Map<string, Map<SpanKind, number[]>>();
  runs.forEach((run, i) => {
    for (const [key, v] of run.ms) {
      const [workflow, step, kind] = key.split('\t');
      const row = `${workflow}\t${step}`;
      if (!steps.has(row)) steps.set(row, new Map());
      const cells = steps.get(row)!;
      if (!cells.has(kind as SpanKind)) cells.set(kind as SpanKind, new Array<number>(runs.length).fill(0));
      cells.get(kind as SpanKind)![i] += v;
    }
  });
  const median = (xs: number[] | undefined) => (xs ? medianOf(xs) : 0);
  const rows = [...steps].map(([row, cells]) => {
    const [workflow, step] = row.split('\t');
    const values = COLUMNS.map((k) => median(cells.get(k)));
    const overhead = values[1] + values[2] + values[3] + values[4];
    return [workflow, step, ...values.map((v) => round(v)), round(overhead)];
  });
  const gap = medianOf(runs.map((r) => r.gapMs));
  rows.push(['(all)', 'gaps: nothing pending', 0, 0, 0, 0, 0, 0, round(gap)]);
  const totals = runs.map(perKind);
  rows.push([
    '(all)',
    'total (median of each column)',
    ...COLUMNS.map((k) => round(medianOf(totals.map((t) => t[k])))),
    round(medianOf(totals.map((t) => t.queued + t['workflow-task'] + t.child + t.update + t.gap))),
  ]);
  return rows;
}

export const BREAKDOWN_HEADERS = [
  'workflow',
  'step',
  'work ms (activity running)',
  'queued ms',
  'workflow tasks ms',
  'child start/end ms',
  'Updates/signals ms',
  'deliberate waits ms',
  'overhead ms (excl. work and deliberate waits)',
];

function medianOf(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (v: number) => Math.round(v * 10) / 10;

/** What a breakdown reads histories with (a Temporal client's workflow service). */
interface HistorySource {
  workflow: {
    getHandle(workflowId: string): { fetchHistory(): Promise<temporal.api.history.v1.IHistory> };
  };
}

export interface PipelineFigures {
  attribution: Attribution;
  /** Activities and child workflows across the pipeline's histories. */
  steps: number;
  deliberateMs: number;
}

/**
 * The breakdown of one pipeline: its history, its children's (recursively) and, from the long-lived
 * workflows it sent Updates to (`related`: ids that may not exist), the Updates within its window.
 */
export async function pipelineFigures(
  client: HistorySource,
  workflowId: string,
  related: string[] = [],
): Promise<PipelineFigures> {
  const events = async (id: string) => (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
  const root = await events(workflowId);
  const spans: Span[] = [];
  let steps = 0;
  const pending = [root];
  while (pending.length) {
    const history = pending.pop()!;
    spans.push(...spansOf(history));
    steps += history.filter(
      (e) => e.activityTaskScheduledEventAttributes || e.startChildWorkflowExecutionInitiatedEventAttributes,
    ).length;
    for (const child of childIds(history)) pending.push(await events(child));
  }
  for (const id of related) {
    const history = await events(id).catch(() => []);
    spans.push(...spansOf(history).filter((s) => s.kind === 'update'));
  }
  const { fromMs, toMs } = historyWindow(root);
  const attribution = attribute(spans, fromMs, toMs);
  return { attribution, steps, deliberateMs: perKind(attribution).deliberate };
}
