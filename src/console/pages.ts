/** The console's pages, server-rendered; every value goes through `esc`. */
import { money } from '../cli/render';
import { deploymentShortId } from '../cli/answer-lines';
import { cancelEffects } from '../decisions/operator';
import type { PipelineStatus } from '../workflows/pipeline/contract';
import type { ActionOutcome } from './actions';
import { curveSvg } from './curve';
import { esc, page, when } from './html';
import { PIPELINE_PHASES } from '../domain/pipeline-phases';
import { PROVIDERS, type Fleet, type FleetFilter, type PipelineView, type WorkflowRow } from './read';

export interface PageContext {
  /** Per-process token every form carries back (with the Origin check, what makes a POST the console's own). */
  csrf: string;
  nonce: string;
  /** The Temporal Web UI, for links to a workflow's history. */
  uiUrl: string;
  namespace: string;
  /** Who decides, prefilled in the forms (the console's user). */
  by?: string;
}

const pipelineHref = (id: string) => `/pipelines/${encodeURIComponent(id)}`;
const historyHref = (ctx: PageContext, id: string, runId?: string) =>
  `${ctx.uiUrl}/namespaces/${encodeURIComponent(ctx.namespace)}/workflows/${encodeURIComponent(id)}${runId ? `/${encodeURIComponent(runId)}` : ''}/history`;
const badge = (phase: string | undefined) =>
  `<span class="badge phase-${esc(phase ?? 'unknown')}">${esc(phase ?? '-')}</span>`;

/** The outcome of an action, in the CLI's words. */
export function banner(o: ActionOutcome | undefined): string {
  if (!o) return '';
  return `<div class="banner ${o.kind === 'ok' ? 'ok' : 'refused'}" id="outcome" role="status">${esc(o.lines.join('\n'))}</div>`;
}

function table(headers: string[], rows: string[][], empty: string): string {
  if (!rows.length) return `<p class="muted">${esc(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function csrfField(ctx: PageContext): string {
  return `<input type="hidden" name="csrf" value="${esc(ctx.csrf)}">`;
}

function whoAndWhy(ctx: PageContext): string {
  return `<label>by <input name="by" value="${esc(ctx.by ?? '')}" maxlength="100" size="12"></label><label>reason <input name="reason" maxlength="500" size="28"></label>`;
}

/** The fleet: pipelines by phase (filters), supervisions, cleanups and their Schedules, serving slots. */
export function fleetPage(
  ctx: PageContext,
  fleet: Fleet,
  filter: FleetFilter,
  outcome?: ActionOutcome,
): string {
  const query = (over: Partial<FleetFilter>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, ...over })) if (v) q.set(k, String(v));
    const s = q.toString();
    return s ? `/?${s}` : '/';
  };
  const counts = PIPELINE_PHASES.filter((p) => fleet.byPhase[p])
    .map(
      (p) =>
        `<a href="${esc(query({ phase: filter.phase === p ? undefined : p }))}">${badge(p)} ${fleet.byPhase[p]}</a>`,
    )
    .join('');
  const option = (value: string, current?: string) =>
    `<option value="${esc(value)}"${value === current ? ' selected' : ''}>${esc(value || 'any')}</option>`;
  const filters = `<form class="filters" method="get" action="/">
<label>name <input name="name" value="${esc(filter.name ?? '')}" size="18" placeholder="part of the id"></label>
<label>phase <select name="phase">${['', ...PIPELINE_PHASES].map((p) => option(p, filter.phase)).join('')}</select></label>
<label>provider <select name="provider">${['', ...PROVIDERS].map((p) => option(p, filter.provider)).join('')}</select></label>
<button type="submit">Filter</button><a href="/">clear</a></form>`;
  const pipelines = table(
    ['pipeline', 'phase', 'provider', 'job', 'started (UTC)', 'run'],
    fleet.pipelines.map((p) => [
      `<a class="id" href="${esc(pipelineHref(p.workflowId))}">${esc(p.workflowId)}</a>`,
      badge(p.phase),
      esc(p.provider ?? '-'),
      `<span class="id">${esc(p.jobId ?? '')}</span>`,
      esc(when(p.startTime)),
      esc(p.status),
    ]),
    'no pipelines match',
  );
  const workflows = (rows: WorkflowRow[], empty: string) =>
    table(
      ['workflow', 'status', 'started (UTC)', 'ended (UTC)', 'for'],
      rows.map((w) => [
        `<a class="id" href="${esc(historyHref(ctx, w.workflowId, w.runId))}">${esc(w.workflowId)}</a>`,
        esc(w.status),
        esc(when(w.startTime)),
        esc(when(w.closeTime)),
        w.parentId ? `<a class="id" href="${esc(pipelineHref(w.parentId))}">${esc(w.parentId)}</a>` : '-',
      ]),
      empty,
    );
  const schedules = table(
    ['schedule', 'spec', 'next (UTC)', 'last run', 'state'],
    fleet.schedules.map((s) => [
      `<span class="id">${esc(s.scheduleId)}</span><div class="muted small">${esc(s.note ?? '')}</div>`,
      esc(s.every),
      esc(when(s.next)),
      s.lastRun
        ? `${esc(when(s.lastRun.at))} <a class="id" href="${esc(historyHref(ctx, s.lastRun.workflowId))}">${esc(s.lastRun.workflowId)}</a>`
        : '-',
      s.paused ? 'paused' : 'active',
    ]),
    'no schedules (starter schedule cleanup create …)',
  );
  const slots = table(
    ['name', 'serving', 'since (UTC)', 'checkpoint', 'pipeline', 'draining (rollback to)', ''],
    fleet.slots.map((s) => [
      `<b>${esc(s.name)}</b>`,
      `<span class="id">${esc(deploymentShortId(s.champion))}</span>${s.champion?.metric ? `<div class="muted small">${esc(s.champion.metric.name)} ${esc(s.champion.metric.value)}</div>` : ''}`,
      esc(when(s.champion?.since)),
      s.champion ? `<span class="id">${esc(s.champion.checkpointId)}</span>` : '-',
      s.champion
        ? `<a class="id" href="${esc(pipelineHref(s.champion.workflowId))}">${esc(s.champion.workflowId)}</a>`
        : '-',
      s.draining.length
        ? s.draining
            .map((d) => `<span class="id">${esc(d.deploymentId)}</span> until ${esc(when(d.retireAt))}`)
            .join('<br>')
        : '-',
      s.draining.length
        ? `<form method="post" action="/slots/${encodeURIComponent(s.name)}/rollback" class="actions">${csrfField(ctx)}${whoAndWhy(ctx)}<button class="danger" type="submit">Roll back</button></form>`
        : '',
    ]),
    'no serving slots yet: a pipeline creates its slot when it promotes its first deployment',
  );
  const body = `${banner(outcome)}
<section id="pipelines"><h2>Pipelines</h2>${filters}<p class="counts">${counts || '<span class="muted">none yet</span>'}</p>${pipelines}</section>
<section id="slots"><h2>Serving slots</h2>${slots}</section>
<section id="supervisions"><h2>Supervisions</h2>${workflows(fleet.supervisions, 'no supervisions')}</section>
<section id="cleanups"><h2>Cleanups</h2>${workflows(fleet.cleanups, 'no cleanups yet')}<h2>Schedules</h2>${schedules}</section>`;
  return page('Fleet', body, ctx);
}

const MAIN_PATH = PIPELINE_PHASES.filter((p) => p !== 'cancelled' && p !== 'failed');

/** The phases as a graph, the current one lit; an ended pipeline's last phase shows where it stopped. */
export function phaseGraph(phase: string | undefined): string {
  const ended = phase === 'cancelled' || phase === 'failed';
  const at = MAIN_PATH.indexOf((phase ?? 'starting') as (typeof MAIN_PATH)[number]);
  const nodes = MAIN_PATH.map((p, i) => {
    const cls = p === phase ? 'current' : at >= 0 && i < at ? 'done' : '';
    return `<span class="node ${cls}" data-phase="${esc(p)}"${p === phase ? ' aria-current="step"' : ''}>${esc(p)}</span>`;
  });
  if (ended)
    nodes.push(
      `<span class="node ended" data-phase="${esc(phase)}" aria-current="step">${esc(phase)}</span>`,
    );
  return `<div class="graph" id="graph">${nodes.join('<span class="arrow">→</span>')}</div>`;
}

/** The figures that change while the page is open (sent again over server-sent events). */
export function factsHtml(ctx: PageContext, v: PipelineView): string {
  const s = v.status;
  const t = s?.training;
  const rows: [string, string][] = [
    [
      'phase',
      `${badge(s?.phase)} <span class="muted">${esc(v.runStatus)}</span>${s?.failure ? ` — ${esc(s.failure)}` : ''}`,
    ],
  ];
  if (s?.jobId)
    rows.push([
      'training job',
      `${esc(s.provider)} <span class="id">${esc(s.jobId)}</span>${s.gpuType ? ` on ${esc(s.gpuType)}` : ''}${v.supervisionId ? ` · <a href="${esc(historyHref(ctx, v.supervisionId))}">supervision history</a>` : ''}`,
    ]);
  if (t)
    rows.push([
      'training',
      `${esc(t.status)} epoch ${esc(t.epoch ?? '-')}/${esc(t.totalEpochs ?? '-')} (${esc(t.percentage ?? 0)}%) · loss ${esc(t.metrics.loss ?? '-')} · best ${esc(t.bestLoss ?? '-')}${t.resumes ? ` · resumes ${esc(t.resumes)}` : ''}`,
    ]);
  rows.push(['cost', esc(money(v.cost))], ['ETA', esc(t?.eta ?? '-')]);
  if (s?.candidate)
    rows.push([
      'candidate',
      `<span class="id">${esc(s.candidate.checkpointId)}</span> epoch ${esc(s.candidate.epoch ?? '-')} · ${esc(s.candidate.metric)} ${esc(s.candidate.value)}${s.candidate.registeredModelId ? ` · model <span class="id">${esc(s.candidate.registeredModelId)}</span>` : ''}`,
    ]);
  rows.push([
    'gate',
    `threshold ${esc(v.threshold ?? '-')}${s?.gate ? ` · ${s.gate.passed ? 'passed' : 'not passed'}: ${esc(s.gate.reasons.join('; '))}` : ''}`,
  ]);
  rows.push([
    'champion',
    s?.champion
      ? `<span class="id">${esc(deploymentShortId(s.champion))}</span>${s.champion.metric ? ` · ${esc(s.champion.metric.name)} ${esc(s.champion.metric.value)}` : ''}`
      : 'none (nothing served this name when the gate looked)',
  ]);
  if (s?.probe)
    rows.push([
      'probe',
      `${s.probe.passed ? 'passed' : 'not passed'} — ${esc([...s.probe.reasons, s.probe.summary].join('; '))}`,
    ]);
  if (s?.deployment)
    rows.push([
      'deployment',
      `${esc(s.deployment.target)} <span class="id">${esc(s.deployment.id)}</span> ${esc(s.deployment.status)}${s.deployment.url ? ` · <code>${esc(s.deployment.url)}</code>` : ''}${s.deployment.removeByHand ? ` · REMOVE BY HAND: ${esc(s.deployment.removeByHand)}` : ''}`,
    ]);
  if (s?.slot)
    rows.push([
      'slot',
      `${esc(s.slot.name)}: serving <span class="id">${esc(s.slot.champion)}</span>${s.slot.previous ? ` · draining ${esc(s.slot.previous)} until ${esc(when(s.slot.retireAt))}` : ''}`,
    ]);
  if (s?.awaitingApprovalUntil) rows.push(['approval deadline', esc(when(s.awaitingApprovalUntil))]);
  rows.push(['checkpoints', `${v.checkpoints.length} compared · ${v.deletedCount} deleted by cleanup`]);
  if (s?.pinned.length)
    rows.push(['pinned', s.pinned.map((p) => `<span class="id">${esc(p)}</span>`).join(', ')]);
  rows.push(['updated', esc(when(s?.updatedAt))]);
  return `<dl class="facts">${rows.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>`;
}

export function curveHtml(v: PipelineView): string {
  return curveSvg({
    metric: v.metric,
    checkpoints: v.checkpoints,
    training: v.training,
    threshold: v.threshold,
    champion: v.status?.champion?.metric?.value,
  });
}

/** Approve/reject with the candidate beside the champion; what the operator decides on is sent back. */
function approvalForm(ctx: PageContext, id: string, s: PipelineStatus): string {
  const c = s.candidate!;
  const champ = s.champion;
  const better =
    champ?.metric && champ.metric.name === c.metric
      ? c.value < champ.metric.value
        ? 'candidate'
        : 'champion'
      : undefined;
  return `<section id="approval"><h2>Awaiting approval until ${esc(when(s.awaitingApprovalUntil))} UTC</h2>
<table class="versus"><thead><tr><th></th><th>candidate</th><th>champion (serving now)</th></tr></thead><tbody>
<tr><td>checkpoint</td><td class="id" id="candidate-checkpoint">${esc(c.checkpointId)}</td><td class="id">${esc(champ?.checkpointId ?? '-')}</td></tr>
<tr><td>epoch</td><td>${esc(c.epoch ?? '-')}</td><td>-</td></tr>
<tr><td>${esc(c.metric)}</td><td class="${better === 'candidate' ? 'better' : ''}">${esc(c.value)}</td><td class="${better === 'champion' ? 'better' : ''}">${esc(champ?.metric?.value ?? '-')}</td></tr>
<tr><td>deployment</td><td>-</td><td class="id">${esc(deploymentShortId(champ))}</td></tr>
</tbody></table>
<p class="muted">Gate: ${esc(s.gate?.reasons.join('; ') ?? '-')}. The pipeline refuses a decision on any other candidate than the one shown here.</p>
<form method="post" class="actions" id="decide">${csrfField(ctx)}<input type="hidden" name="checkpointId" value="${esc(c.checkpointId)}">${whoAndWhy(ctx)}
<button class="approve" type="submit" formaction="${esc(pipelineHref(id))}/approve">Approve ${esc(c.checkpointId)}</button>
<button class="reject" type="submit" formaction="${esc(pipelineHref(id))}/reject">Reject</button></form></section>`;
}

const TERMINAL = new Set(['completed', 'cancelled', 'failed']);

/** One pipeline: its phases, the live curve, the figures, the history link and the actions. */
export function pipelinePage(ctx: PageContext, v: PipelineView, outcome?: ActionOutcome): string {
  const s = v.status;
  const running = v.runStatus === 'RUNNING';
  const actions: string[] = [];
  if (running && s?.phase === 'awaiting-approval' && s.candidate)
    actions.push(approvalForm(ctx, v.workflowId, s));
  if (running && s && !TERMINAL.has(s.phase)) {
    const effects = cancelEffects({ phase: s.phase, jobId: s.jobId, deployment: s.deployment });
    actions.push(`<section id="cancel"><h2>Cancel</h2><p>A cancel now: ${esc(effects.join('; ') || 'ends the pipeline')}.</p>
<form method="post" class="actions" action="${esc(pipelineHref(v.workflowId))}/cancel">${csrfField(ctx)}<label>reason <input name="reason" maxlength="500" size="28"></label><button class="danger" type="submit">Cancel pipeline</button></form></section>`);
  }
  if (running) {
    const ids = v.checkpoints.map((c) => `<option value="${esc(c.id)}">`).join('');
    actions.push(`<section id="pins"><h2>Pin / unpin</h2><p class="muted">A pinned checkpoint is kept out of every cleanup until unpinned.</p>
<form method="post" class="actions">${csrfField(ctx)}<label>checkpoint <input name="checkpointId" list="checkpoint-ids" size="24" required></label><datalist id="checkpoint-ids">${ids}</datalist>
<button type="submit" formaction="${esc(pipelineHref(v.workflowId))}/pin">Pin</button><button type="submit" formaction="${esc(pipelineHref(v.workflowId))}/unpin">Unpin</button></form></section>`);
  }
  const approvals = v.approvals.length
    ? `<ul>${v.approvals.map((a) => `<li>${esc(when(a.at))} ${esc(a.decision)}${a.by ? ` by ${esc(a.by)}` : ''}${a.reason ? `: ${esc(a.reason)}` : ''}</li>`).join('')}</ul>`
    : '';
  const body = `${banner(outcome)}
<section><h2><span class="id">${esc(v.workflowId)}</span> · <a href="${esc(historyHref(ctx, v.workflowId, v.runId))}">history in the Temporal Web UI</a></h2>${phaseGraph(s?.phase)}</section>
<section><h2><span class="live-dot" id="live" title="live"></span>${esc(v.metric)} over checkpoints</h2><div id="curve">${curveHtml(v)}</div>
<p class="legend small"><span class="l">● training loss (live)</span><span class="k">● kept</span><span class="c">● chosen</span><span>○ deleted</span><span class="t">- - gate threshold</span><span class="c">··· champion</span></p></section>
<section><h2>Figures</h2><div id="facts">${factsHtml(ctx, v)}</div>${approvals}</section>
${actions.join('\n')}`;
  const script = running
    ? `(function(){var es=new EventSource(${JSON.stringify(`${pipelineHref(v.workflowId)}/events`)});
es.addEventListener('update',function(e){var d=JSON.parse(e.data);
document.getElementById('curve').innerHTML=d.curve;document.getElementById('facts').innerHTML=d.facts;document.getElementById('graph').outerHTML=d.graph;
document.body.dataset.updates=String(Number(document.body.dataset.updates||0)+1);});
es.addEventListener('end',function(){es.close();document.getElementById('live').className='';});})();`
    : '';
  return page(v.workflowId, body, ctx, script);
}

export function notFoundPage(ctx: PageContext, message: string): string {
  return page('Not found', `<section><p>${esc(message)}</p><p><a href="/">the fleet</a></p></section>`, ctx);
}
