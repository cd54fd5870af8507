import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { parsePipelineInput, type PipelineSpec } from '../domain/pipeline-input';
import type { Checkpoint, CheckpointPage } from '../domain/types';
import { earlyStopLine, type EarlyStopReport } from '../decisions/early-stop';
import { payloadReader } from './payloads';
import { chartSvg, esc } from './report-chart';
import { loadSweepReport, renderSweep, SWEEP_STYLES, type SweepReport } from './report-sweep';
import {
  approveSignal,
  approveUpdate,
  rejectSignal,
  rejectUpdate,
  statusQuery,
  type PipelineResult,
  type PipelineStatus,
} from '../workflows/pipeline/contract';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The approve/reject signals (pipelines started before the Updates) and Updates, by their names in a history. */
const DECISIONS: Record<string, 'approve' | 'reject'> = {
  [approveSignal.name]: 'approve',
  [approveUpdate.name]: 'approve',
  [rejectSignal.name]: 'reject',
  [rejectUpdate.name]: 'reject',
};

interface ApprovalEvent {
  at: string;
  decision: 'approve' | 'reject';
  by?: string;
  reason?: string;
}

interface ReportData {
  workflowId: string;
  metric: string;
  threshold?: number;
  checkpoints: Checkpoint[];
  /** The job's checkpoints as the pipeline counted them when comparing (what `status` shows). */
  totalCheckpoints?: number;
  /** Of those, the ones that carried the metric and were compared. */
  considered?: number;
  chosenId?: string;
  deletedIds: string[];
  phase: string;
  cost?: number;
  deployment?: { target: string; id: string; url?: string; status: string };
  /** Training stopped early: marked on the curve at its epoch, with what it saved. */
  earlyStop?: EarlyStopReport;
  /** The fleet budget stopped training (with a saved checkpoint), and why. */
  fleetBudgetStopped?: string;
  /** Approve/reject requests in the order the workflow received them, and the gate's verdict. */
  approvals: ApprovalEvent[];
  gateReasons: string[];
  /** A sweep's trials, each with its curve. */
  sweep?: SweepReport;
  /** Why a pipeline that did not end deployed ended so ("GATE_REJECTED: …", "terminated: …"). */
  ended?: string;
}

export { defaultReportPath } from './report-path';

const FLEET_STOPPED = 'stopped by the fleet budget: ';

/** Why the fleet budget stopped the pipeline's training: its result's words, or its status's while it runs. */
function fleetStopOf(
  result: PipelineResult | undefined,
  status: PipelineStatus | undefined,
): { fleetBudgetStopped?: string } {
  const why =
    result?.fleetBudgetStopped ??
    (status?.fleetBudget?.startsWith(FLEET_STOPPED)
      ? status.fleetBudget.slice(FLEET_STOPPED.length)
      : undefined);
  return why ? { fleetBudgetStopped: why } : {};
}

/**
 * Everything the report shows comes from the workflow's own history: the checkpoints the pipeline
 * listed when comparing, its input (gate threshold) and its result (chosen and deleted checkpoints).
 */
export async function loadReportData(client: Client, workflowId: string): Promise<ReportData> {
  const handle = client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const payloads = payloadReader();
  const listCalls = new Set<string>();
  const byId = new Map<string, Checkpoint>();
  let spec: PipelineSpec | undefined;
  let result: PipelineResult | undefined;
  let ended: { phase: string; why?: string } | undefined;
  const approvals: ApprovalEvent[] = [];
  const decisionOf = async (
    name: string | null | undefined,
    given: Payload[] | null | undefined,
    at: string,
  ) => {
    const decision = name ? DECISIONS[name] : undefined;
    if (!decision) return;
    const arg = await payloads.first<{ by?: string; reason?: string } | undefined>(given);
    approvals.push({ at, decision, by: arg?.by, reason: arg?.reason });
  };
  for (const e of history.events ?? []) {
    const at = e.eventTime?.seconds ? new Date(Number(e.eventTime.seconds) * 1000).toISOString() : '';
    // Signals (pipelines started before approvals became Updates) and accepted Updates alike.
    if (e.workflowExecutionSignaledEventAttributes) {
      const a = e.workflowExecutionSignaledEventAttributes;
      await decisionOf(a.signalName, a.input?.payloads, at);
    }
    if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const r = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input;
      await decisionOf(r?.name, r?.args?.payloads, at);
    }
    if (e.workflowExecutionStartedEventAttributes) {
      const input = await payloads.first<unknown>(e.workflowExecutionStartedEventAttributes.input?.payloads);
      spec = recordedSpec(input);
    } else if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'listCheckpoints') {
      listCalls.add(String(e.eventId));
    } else if (
      e.activityTaskCompletedEventAttributes &&
      listCalls.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId))
    ) {
      const page = await payloads.first<CheckpointPage>(
        e.activityTaskCompletedEventAttributes.result?.payloads,
      );
      for (const c of page.checkpoints) byId.set(c.id, c);
    } else if (e.workflowExecutionCompletedEventAttributes) {
      result = await payloads.first<PipelineResult>(
        e.workflowExecutionCompletedEventAttributes.result?.payloads,
      );
    } else if (e.workflowExecutionFailedEventAttributes) {
      ended = { phase: 'failed', why: innermostFailure(e.workflowExecutionFailedEventAttributes.failure) };
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      const reason = e.workflowExecutionTerminatedEventAttributes.reason;
      ended = { phase: 'terminated', why: `terminated${reason ? `: ${reason}` : ''}` };
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      ended = { phase: 'timed out', why: 'timed out (its run timeout passed)' };
    }
  }
  let status: PipelineStatus | undefined;
  if (!result) status = await handle.query(statusQuery).catch(() => undefined);
  const candidate = result?.checkpoint ?? status?.candidate;
  const deployment = result?.deployment ?? status?.deployment;
  const earlyStop = result?.earlyStop ?? status?.earlyStop;
  const sweepTable = result?.sweep ?? status?.sweep;
  return {
    workflowId,
    metric: spec?.selection.metric ?? 'validationLoss',
    threshold: spec?.gate.threshold,
    checkpoints: [...byId.values()],
    totalCheckpoints: candidate?.totalCheckpoints,
    considered: candidate?.considered,
    chosenId: candidate?.checkpointId,
    cost: result?.cost ?? status?.training?.cost,
    deployment: deployment && {
      target: deployment.target,
      id: deployment.id,
      url: deployment.url,
      status: deployment.status,
    },
    ...(earlyStop ? { earlyStop } : {}),
    ...fleetStopOf(result, status),
    ...(sweepTable ? { sweep: await loadSweepReport(client, workflowId, sweepTable) } : {}),
    approvals,
    gateReasons: (result?.gate ?? status?.gate)?.reasons ?? [],
    deletedIds: (result?.deletedCheckpoints ?? []).map((d) => d.checkpointId),
    phase: result
      ? result.outcome === 'deployed'
        ? 'completed'
        : result.outcome
      : (ended?.phase ?? status?.phase ?? 'unknown'),
    // The history's own words first: a closed run answers queries only while a worker runs.
    ...((ended?.why ?? status?.failure) ? { ended: ended?.why ?? status?.failure } : {}),
  };
}

type Failure = NonNullable<NonNullable<HistoryEvent['workflowExecutionFailedEventAttributes']>['failure']>;

/**
 * The innermost cause of a recorded failure as one line, "TYPE: message" when it is an application
 * failure; undefined when the message is encoded (a codec that encrypts failures; the status says it).
 */
function innermostFailure(failure: Failure | null | undefined): string | undefined {
  let text: string | undefined;
  for (let f = failure; f; f = f.cause) {
    if (f.encodedAttributes) return undefined;
    text = f.applicationFailureInfo?.type
      ? `${f.applicationFailureInfo.type}: ${f.message}`
      : (f.message ?? text);
  }
  return text;
}

/** One self-contained HTML file with an inline SVG: the metric over checkpoints, chosen, threshold, deleted. */
export function renderReport(d: ReportData): string {
  const points = d.checkpoints
    .filter((c) => c.type === 'automatic' && typeof c.metrics[d.metric] === 'number' && c.epoch !== undefined)
    .sort((a, b) => a.epoch! - b.epoch!);
  const W = 760;
  const H = 360;
  const pad = { l: 60, r: 20, t: 30, b: 45 };
  const values = points.map((p) => p.metrics[d.metric]);
  if (d.threshold !== undefined) values.push(d.threshold);
  const lo = Math.min(...values, Infinity);
  const hi = Math.max(...values, -Infinity);
  const span = hi - lo || 1;
  // A margin below the lowest value: the chosen point does not sit on the axis.
  // An early-stopped job's axis runs to the epochs it was asked for: what it did not train shows.
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch!), d.earlyStop?.totalEpochs ?? 0);
  const x = (epoch: number) =>
    pad.l +
    ((epoch - (points[0]?.epoch ?? 0)) / Math.max(1, maxEpoch - (points[0]?.epoch ?? 0))) *
      (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / span) * (H - pad.t - pad.b - 12);
  const deleted = new Set(d.deletedIds);
  const line = points
    .map((p, i) => `${i ? 'L' : 'M'}${x(p.epoch!).toFixed(1)},${y(p.metrics[d.metric]).toFixed(1)}`)
    .join(' ');
  const dots = points
    .map((p) => {
      const cx = x(p.epoch!).toFixed(1);
      const cy = y(p.metrics[d.metric]).toFixed(1);
      const cls = p.id === d.chosenId ? 'chosen' : deleted.has(p.id) ? 'deleted' : 'kept';
      const label = `${p.id} epoch ${p.epoch} ${d.metric} ${p.metrics[d.metric]}${cls === 'chosen' ? ' (chosen)' : cls === 'deleted' ? ' (deleted)' : ''}`;
      return `<circle class="point ${cls}" data-checkpoint="${esc(p.id)}" cx="${cx}" cy="${cy}" r="${cls === 'chosen' ? 7 : 4}"><title>${esc(label)}</title></circle>`;
    })
    .join('\n    ');
  const chosen = points.find((p) => p.id === d.chosenId) ?? d.checkpoints.find((c) => c.id === d.chosenId);
  const threshold =
    d.threshold !== undefined
      ? `<line class="threshold" x1="${pad.l}" x2="${W - pad.r}" y1="${y(d.threshold).toFixed(1)}" y2="${y(d.threshold).toFixed(1)}"/><text x="${W - pad.r}" y="${(y(d.threshold) - 6).toFixed(1)}" text-anchor="end">gate threshold ${d.threshold}</text>`
      : '';
  const saved =
    d.earlyStop?.gpuHoursSaved !== undefined
      ? `, ${d.earlyStop.gpuHoursSaved.toFixed(2)} GPU-hours saved`
      : '';
  const notTrained =
    d.earlyStop?.totalEpochs !== undefined && d.earlyStop.totalEpochs > d.earlyStop.atEpoch
      ? `<rect class="not-trained" x="${x(d.earlyStop.atEpoch).toFixed(1)}" y="${pad.t}" width="${(x(d.earlyStop.totalEpochs) - x(d.earlyStop.atEpoch)).toFixed(1)}" height="${H - pad.t - pad.b}"/><text class="not-trained-label" x="${((x(d.earlyStop.atEpoch) + x(d.earlyStop.totalEpochs)) / 2).toFixed(1)}" y="${(pad.t + (H - pad.t - pad.b) / 2).toFixed(1)}" text-anchor="middle">not trained: ${d.earlyStop.totalEpochs - d.earlyStop.atEpoch} epochs${saved}</text>`
      : '';
  // Where it stopped (the why is in the summary above) on the side of its line with more room.
  const stopLabel = (text: string, at: number) =>
    at - pad.l > W - pad.r - at
      ? `<text class="early-stop-label" x="${(at - 4).toFixed(1)}" y="${pad.t - 8}" text-anchor="end">${esc(text)}</text>`
      : `<text class="early-stop-label" x="${(at + 4).toFixed(1)}" y="${pad.t - 8}" text-anchor="start">${esc(text)}</text>`;
  const stoppedEarly = d.earlyStop
    ? `${notTrained}<line class="early-stop" x1="${x(d.earlyStop.atEpoch).toFixed(1)}" x2="${x(d.earlyStop.atEpoch).toFixed(1)}" y1="${pad.t}" y2="${H - pad.b}"/>${stopLabel(`stopped early at epoch ${d.earlyStop.atEpoch}${d.earlyStop.totalEpochs !== undefined ? ` of ${d.earlyStop.totalEpochs}` : ''}`, x(d.earlyStop.atEpoch))}`
    : '';
  // One tick per epoch (every n-th when there are many, so labels never overlap).
  const epochs = [...new Set(points.map((p) => p.epoch!))];
  for (let e = (epochs[epochs.length - 1] ?? 0) + 1; d.earlyStop && e <= maxEpoch; e++) epochs.push(e);
  const every = Math.max(1, Math.ceil(epochs.length / 20));
  const ticks = epochs
    .filter((_, i) => i % every === 0 || i === epochs.length - 1)
    .map((e) => {
      const tx = x(e).toFixed(1);
      return `<line class="tick" x1="${tx}" x2="${tx}" y1="${H - pad.b}" y2="${H - pad.b + 5}"/><text class="tick-label" x="${tx}" y="${H - pad.b + 18}" text-anchor="middle">${e}</text>`;
    })
    .join('\n  ');
  const total = d.totalCheckpoints ?? d.checkpoints.length;
  const counted =
    d.considered !== undefined && d.considered !== total
      ? `${total} checkpoints (${d.considered} carried ${esc(d.metric)} and were compared)`
      : `${total} checkpoints`;
  const state = (c: Checkpoint) =>
    c.id === d.chosenId ? 'chosen' : deleted.has(c.id) ? 'deleted by cleanup' : 'kept';
  const rows = [...d.checkpoints]
    .sort((a, b) => (a.epoch ?? 0) - (b.epoch ?? 0) || (a.step ?? 0) - (b.step ?? 0))
    .map(
      (c) =>
        `<tr class="${c.id === d.chosenId ? 'chosen' : deleted.has(c.id) ? 'deleted' : ''}"><td>${esc(c.id)}</td><td>${c.epoch ?? '-'}</td><td>${esc(c.type)}</td><td>${typeof c.metrics[d.metric] === 'number' ? c.metrics[d.metric] : '-'}</td><td>${state(c)}</td></tr>`,
    )
    .join('\n');
  const approvals = d.approvals.length
    ? `<ul>${d.approvals.map((a) => `<li>${esc(a.at)} ${a.decision}${a.by ? ` by ${esc(a.by)}` : ''}${a.reason ? `: ${esc(a.reason)}` : ''}</li>`).join('')}</ul>`
    : '<p>No approve or reject was sent.</p>';
  const verdict = d.gateReasons.length ? `<p>Gate: ${d.gateReasons.map(esc).join('; ')}</p>` : '';
  const endpoint = d.deployment
    ? `${esc(d.deployment.target)} ${esc(d.deployment.id)} (${esc(d.deployment.status)})${d.deployment.url ? ` — <code>${esc(d.deployment.url)}</code>` : ''}`
    : 'none';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.workflowId)} — ${esc(d.metric)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:820px}
.curve{fill:none;stroke:#3366cc;stroke-width:2}
.point.kept{fill:#3366cc}.point.deleted{fill:#fff;stroke:#999;stroke-dasharray:2}.point.chosen{fill:#2a9d3a;stroke:#14521d;stroke-width:2}
.threshold{stroke:#d33;stroke-dasharray:6 4}.early-stop{stroke:#e08a00;stroke-width:2;stroke-dasharray:3 3}.not-trained{fill:#f3f3f3}.not-trained-label{fill:#777}.axis,.tick{stroke:#444}text{font-size:12px;fill:#333}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}
tr.chosen{background:#e6f4e8;font-weight:600}tr.deleted{color:#888}dt{font-weight:600}dd{margin:0 0 6px 0}
${d.sweep ? SWEEP_STYLES : ''}
</style></head><body>
<h1>${esc(d.workflowId)}</h1>
<dl>
<dt>Phase</dt><dd>${esc(d.phase)}</dd>
${d.ended ? `<dt>Why it ended</dt><dd class="ended">${esc(d.ended)}</dd>` : ''}
<dt>Checkpoints</dt><dd>${counted}; ${points.length} automatic ones drawn; deleted by cleanup: ${deleted.size}</dd>
<dt>Chosen</dt><dd>${chosen ? `${esc(chosen.id)} (epoch ${chosen.epoch ?? '-'}, ${esc(d.metric)} ${chosen.metrics[d.metric] ?? '-'})${d.sweep?.table.winner !== undefined ? `, of the sweep's trial ${d.sweep.table.winner}` : ''}` : 'none yet'}</dd>
<dt>Endpoint</dt><dd>${endpoint}</dd>
<dt>Cost</dt><dd>${d.cost === undefined ? '-' : `$${d.cost.toFixed(2)}`}</dd>
${d.earlyStop ? `<dt>Early stop</dt><dd class="early-stop">${esc(earlyStopLine(d.earlyStop))}</dd>` : ''}
${d.fleetBudgetStopped ? `<dt>Fleet budget</dt><dd class="fleet-budget-stopped">training stopped by the fleet budget with a saved checkpoint: ${esc(d.fleetBudgetStopped)}</dd>` : ''}
</dl>
${chartSvg(
  { width: W, height: H, pad, metric: d.metric, ariaLabel: `${d.metric} over checkpoints`, lo, hi, y, ticks },
  `${threshold}
  ${stoppedEarly}
  <path class="curve" d="${line}"/>
    ${dots}`,
)}
<p>● kept &nbsp; <span style="color:#2a9d3a">●</span> chosen &nbsp; ○ deleted${d.threshold !== undefined ? ' &nbsp; <span style="color:#d33">- -</span> gate threshold' : ''}${d.earlyStop ? ' &nbsp; <span style="color:#e08a00">┆</span> stopped early' : ''}</p>
${d.sweep ? renderSweep(d.sweep) : ''}
<h2>Approval</h2>
${approvals}
${verdict}
<h2>Checkpoints</h2>
<table><thead><tr><th>checkpoint</th><th>epoch</th><th>type</th><th>${esc(d.metric)}</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}

/** A recorded input as the workflow saw it, defaults filled in (one started before `train.config` was typed too). */
function recordedSpec(input: unknown): PipelineSpec | undefined {
  try {
    return parsePipelineInput(input, undefined, { untypedConfig: true });
  } catch {
    return undefined;
  }
}
