import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { pipelineInputSchema, type PipelineSpec } from '../domain/pipeline-input';
import type { Checkpoint, CheckpointPage } from '../domain/types';
import { dataConverterFromEnv } from '../config/temporal-connection';
import { statusQuery, type PipelineResult, type PipelineStatus } from '../workflows/definitions';

export interface ReportData {
  workflowId: string;
  metric: string;
  threshold?: number;
  checkpoints: Checkpoint[];
  chosenId?: string;
  deletedIds: string[];
  phase: string;
}

/**
 * Everything the report shows comes from the workflow's own history: the checkpoints the pipeline
 * listed when comparing, its input (gate threshold) and its result (chosen and deleted checkpoints).
 */
export async function loadReportData(client: Client, workflowId: string): Promise<ReportData> {
  const handle = client.workflow.getHandle(workflowId);
  const history = await handle.fetchHistory();
  const converter = loadDataConverter(dataConverterFromEnv());
  const listCalls = new Set<string>();
  const byId = new Map<string, Checkpoint>();
  let spec: PipelineSpec | undefined;
  let result: PipelineResult | undefined;
  for (const e of history.events ?? []) {
    if (e.workflowExecutionStartedEventAttributes) {
      const input = await decodeFromPayloadsAtIndex<unknown>(
        converter,
        0,
        e.workflowExecutionStartedEventAttributes.input?.payloads,
      );
      const parsed = pipelineInputSchema.safeParse(input); // as the workflow saw it, defaults filled in
      spec = parsed.success ? parsed.data : undefined;
    } else if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'listCheckpoints') {
      listCalls.add(String(e.eventId));
    } else if (
      e.activityTaskCompletedEventAttributes &&
      listCalls.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId))
    ) {
      const page = await decodeFromPayloadsAtIndex<CheckpointPage>(
        converter,
        0,
        e.activityTaskCompletedEventAttributes.result?.payloads,
      );
      for (const c of page.checkpoints) byId.set(c.id, c);
    } else if (e.workflowExecutionCompletedEventAttributes) {
      result = await decodeFromPayloadsAtIndex<PipelineResult>(
        converter,
        0,
        e.workflowExecutionCompletedEventAttributes.result?.payloads,
      );
    }
  }
  let status: PipelineStatus | undefined;
  if (!result) status = await handle.query(statusQuery).catch(() => undefined);
  return {
    workflowId,
    metric: spec?.selection.metric ?? 'validationLoss',
    threshold: spec?.gate.threshold,
    checkpoints: [...byId.values()],
    chosenId: result?.checkpoint?.checkpointId ?? status?.candidate?.checkpointId,
    deletedIds: (result?.deletedCheckpoints ?? []).map((d) => d.checkpointId),
    phase: result
      ? result.outcome === 'deployed'
        ? 'completed'
        : result.outcome
      : (status?.phase ?? 'unknown'),
  };
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

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
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch!));
  const x = (epoch: number) =>
    pad.l +
    ((epoch - (points[0]?.epoch ?? 0)) / Math.max(1, maxEpoch - (points[0]?.epoch ?? 0))) *
      (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - lo) / span) * (H - pad.t - pad.b);
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
  const chosen = points.find((p) => p.id === d.chosenId);
  const threshold =
    d.threshold !== undefined
      ? `<line class="threshold" x1="${pad.l}" x2="${W - pad.r}" y1="${y(d.threshold).toFixed(1)}" y2="${y(d.threshold).toFixed(1)}"/><text x="${W - pad.r}" y="${(y(d.threshold) - 6).toFixed(1)}" text-anchor="end">gate threshold ${d.threshold}</text>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.workflowId)} — ${esc(d.metric)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
.curve{fill:none;stroke:#3366cc;stroke-width:2}
.point.kept{fill:#3366cc}.point.deleted{fill:#fff;stroke:#999;stroke-dasharray:2}.point.chosen{fill:#2a9d3a;stroke:#14521d;stroke-width:2}
.threshold{stroke:#d33;stroke-dasharray:6 4}.axis{stroke:#444}text{font-size:12px;fill:#333}
</style></head><body>
<h1>${esc(d.workflowId)}</h1>
<p>Phase: ${esc(d.phase)}. ${points.length} checkpoints; chosen: ${chosen ? `${esc(chosen.id)} (epoch ${chosen.epoch}, ${esc(d.metric)} ${chosen.metrics[d.metric]})` : 'none yet'}; deleted by cleanup: ${deleted.size}.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(d.metric)} over checkpoints">
  <line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"/>
  <line class="axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}"/>
  <text x="${W / 2}" y="${H - 10}" text-anchor="middle">epoch</text>
  <text x="14" y="${H / 2}" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">${esc(d.metric)}</text>
  <text x="${pad.l - 6}" y="${y(hi) + 4}" text-anchor="end">${hi.toFixed(3)}</text>
  <text x="${pad.l - 6}" y="${y(lo) + 4}" text-anchor="end">${lo.toFixed(3)}</text>
  ${threshold}
  <path class="curve" d="${line}"/>
    ${dots}
</svg>
<p>● kept &nbsp; <span style="color:#2a9d3a">●</span> chosen &nbsp; ○ deleted &nbsp; <span style="color:#d33">- -</span> gate threshold</p>
</body></html>
`;
}
