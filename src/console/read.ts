/**
 * What the console shows, read from Temporal through the client alone: visibility (with the project's
 * search attributes), queries, describe and histories. Nothing is stored besides the training figures
 * the console saw itself (in memory, for the live curve).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { servingSlots } from '../clients/serving-slots';
import { latestLook, withLatestLook } from '../cli/latest-look';
import { payloadReader } from '../cli/payloads';
import { loadReportData } from '../cli/report';
import type { SlotState } from '../decisions/serving-slot';
import { statusQuery, type PipelinePhase, type PipelineStatus } from '../workflows/pipeline/contract';
import { supervisionProgressSignal, type SupervisionProgress } from '../workflows/supervise/contract';
import type { CurveCheckpoint } from './curve';

export const PROVIDERS = ['tensorone', 'marqtune'] as const;

export interface FleetFilter {
  name?: string;
  phase?: PipelinePhase;
  provider?: (typeof PROVIDERS)[number];
}

export interface WorkflowRow {
  workflowId: string;
  runId: string;
  status: string;
  phase?: string;
  provider?: string;
  jobId?: string;
  startTime: Date;
  closeTime?: Date;
  parentId?: string;
}

export interface ScheduleRow {
  scheduleId: string;
  paused: boolean;
  note?: string;
  every: string;
  next?: Date;
  lastRun?: { at: Date; workflowId: string };
}

export interface Fleet {
  pipelines: WorkflowRow[];
  /** Pipelines by phase over the whole listing before the name filter (what the filter chips count). */
  byPhase: Record<string, number>;
  supervisions: WorkflowRow[];
  cleanups: WorkflowRow[];
  schedules: ScheduleRow[];
  slots: SlotState[];
}

const quote = (v: string) => `'${v.replace(/'/g, '')}'`;
const first = (sa: Record<string, unknown[] | undefined>, key: string) =>
  sa[key]?.[0] === undefined || sa[key]?.[0] === '' ? undefined : String(sa[key]?.[0]);

function row(w: WorkflowExecutionInfo): WorkflowRow {
  const sa = w.searchAttributes as Record<string, unknown[] | undefined>;
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    status: w.status.name,
    phase: first(sa, 'FtpPhase'),
    provider: first(sa, 'FtpProvider'),
    jobId: first(sa, 'FtpJobId'),
    startTime: w.startTime,
    closeTime: w.closeTime,
    parentId: w.parentExecution?.workflowId ?? undefined,
  };
}

async function listRows(client: Client, query: string, limit: number): Promise<WorkflowRow[]> {
  const rows: WorkflowRow[] = [];
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    rows.push(row(w));
    if (rows.length >= limit) break;
  }
  return rows;
}

/** The fleet: pipelines (filtered), supervisions, cleanups and their Schedules, serving slots. */
export async function readFleet(
  client: Client,
  taskQueue: string,
  filter: FleetFilter,
  limit = 200,
): Promise<Fleet> {
  const clauses = [`WorkflowType = 'fineTuneToDeploy'`];
  if (filter.provider) clauses.push(`FtpProvider = ${quote(filter.provider)}`);
  const [all, supervisions, cleanups, schedules, slots] = await Promise.all([
    listRows(client, clauses.join(' AND '), limit),
    listRows(client, `WorkflowType = 'superviseTrainingJob'`, 30),
    listRows(client, `WorkflowType = 'checkpointCleanup'`, 30),
    readSchedules(client),
    servingSlots(client, taskQueue).list(),
  ]);
  const named = filter.name ? all.filter((p) => p.workflowId.includes(filter.name!)) : all;
  const byPhase: Record<string, number> = {};
  for (const p of named) byPhase[p.phase ?? 'starting'] = (byPhase[p.phase ?? 'starting'] ?? 0) + 1;
  return {
    pipelines: filter.phase ? named.filter((p) => p.phase === filter.phase) : named,
    byPhase,
    supervisions,
    cleanups,
    schedules,
    slots,
  };
}

async function readSchedules(client: Client): Promise<ScheduleRow[]> {
  const rows: ScheduleRow[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.type !== 'startWorkflow') continue;
    const every = s.spec?.intervals?.map((i) => `every ${String(i.every)}`) ?? [];
    const cron = s.spec?.calendars?.length ? ['calendar'] : [];
    const last = s.info.recentActions.at(-1);
    rows.push({
      scheduleId: s.scheduleId,
      paused: s.state.paused,
      note: s.state.note,
      every: [...every, ...cron].join(', ') || '-',
      next: s.info.nextActionTimes[0],
      lastRun: last && { at: last.takenAt, workflowId: last.action.workflow.workflowId },
    });
    if (rows.length >= 50) break;
  }
  return rows;
}

export interface PipelineView {
  workflowId: string;
  runId: string;
  runStatus: string;
  startTime: Date;
  closeTime?: Date;
  status?: PipelineStatus;
  metric: string;
  threshold?: number;
  checkpoints: CurveCheckpoint[];
  training: { epoch: number; loss: number }[];
  /** Checkpoints the pipeline counted and compared (candidate), and what it deleted. */
  deletedCount: number;
  cost?: number;
  /** Approve/reject requests in the order the pipeline received them. */
  approvals: { at: string; decision: string; by?: string; reason?: string }[];
  supervisionId?: string;
}

/**
 * The training loss by epoch the console has seen (looks and the supervision's reports), per pipeline
 * run, bounded: the live curve between page loads.
 */
export class TrainingFigures {
  private readonly byRun = new Map<string, Map<number, number>>();
  constructor(private readonly maxRuns = 200) {}

  add(runId: string, progress: Pick<SupervisionProgress, 'epoch' | 'metrics'> | undefined): void {
    const loss = progress?.metrics.loss;
    if (progress?.epoch === undefined || typeof loss !== 'number' || !Number.isFinite(loss)) return;
    let series = this.byRun.get(runId);
    if (!series) {
      if (this.byRun.size >= this.maxRuns) this.byRun.delete(this.byRun.keys().next().value!);
      series = new Map();
      this.byRun.set(runId, series);
    }
    series.set(progress.epoch, loss);
  }

  of(runId: string): { epoch: number; loss: number }[] {
    return [...(this.byRun.get(runId) ?? new Map<number, number>())].map(([epoch, loss]) => ({
      epoch,
      loss,
    }));
  }
}

/** The pipeline's status with the watch's latest look laid over it while it trains (as `starter status`). */
export async function readStatus(
  client: Client,
  workflowId: string,
): Promise<{ status?: PipelineStatus; runId: string; runStatus: string; startTime: Date; closeTime?: Date }> {
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe();
  const status = await handle.query(statusQuery).catch(() => undefined);
  if (status?.phase === 'training') {
    const look = await latestLook(client.workflow, workflowId).catch(() => undefined);
    status.training = withLatestLook(status.training, look);
  }
  return {
    status,
    runId: described.runId,
    runStatus: described.status.name,
    startTime: described.startTime,
    closeTime: described.closeTime,
  };
}

/** Everything the pipeline page shows: status, and from the history the checkpoints and their marks. */
export async function readPipeline(
  client: Client,
  workflowId: string,
  figures: TrainingFigures,
): Promise<PipelineView> {
  const [now, report] = await Promise.all([
    readStatus(client, workflowId),
    loadReportData(client, workflowId),
  ]);
  await addReportedProgress(client, workflowId, now.runId, figures).catch(() => undefined);
  figures.add(now.runId, now.status?.training);
  const deleted = new Set(report.deletedIds);
  const checkpoints: CurveCheckpoint[] = report.checkpoints
    .filter(
      (c) => c.type === 'automatic' && c.epoch !== undefined && typeof c.metrics[report.metric] === 'number',
    )
    .map((c) => ({
      id: c.id,
      epoch: c.epoch!,
      value: c.metrics[report.metric],
      mark: c.id === report.chosenId ? 'chosen' : deleted.has(c.id) ? 'deleted' : 'kept',
    }));
  const s = now.status;
  return {
    workflowId,
    ...now,
    metric: report.metric,
    threshold: report.threshold,
    checkpoints,
    training: figures.of(now.runId),
    deletedCount: deleted.size,
    cost: s?.training?.cost ?? report.cost,
    approvals: report.approvals,
    supervisionId: s?.jobId ? `supervise-${s.provider}-${s.jobId}` : undefined,
  };
}

/** The supervision's reports in the pipeline's history: the loss at the epochs it reported. */
async function addReportedProgress(
  client: Client,
  workflowId: string,
  runId: string,
  figures: TrainingFigures,
): Promise<void> {
  const payloads = payloadReader();
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  for (const e of history.events ?? []) {
    const a = e.workflowExecutionSignaledEventAttributes;
    if (a?.signalName !== supervisionProgressSignal.name) continue;
    figures.add(runId, await payloads.first<SupervisionProgress>(a.input?.payloads));
  }
}
