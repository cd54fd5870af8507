import { earlyStopLine } from '../decisions/early-stop';
import type { PipelineLeftovers, PipelineResult, PipelineStatus } from '../workflows/pipeline/contract';
import type { SupervisionProgress } from '../workflows/supervise/contract';
import { sweepLines } from './sweep-table';

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline of a series (e.g. loss over polls); the newest value is on the right. */
export function sparkline(values: number[], width = 24): string {
  const v = values.slice(-width);
  if (v.length === 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => BARS[hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1))]).join('');
}

export function money(n: number | undefined): string {
  return n === undefined ? '-' : `$${n.toFixed(2)}`;
}

/** How long ago, as "45s", "3m 20s" or "2h 5m". */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

const ENDED = new Set(['completed', 'failed', 'cancelled', 'stopped']);

/**
 * The cost, marked stale with its age when the provider gave it before the rest of the figures (the
 * job list carries no cost: a look shows the last read of the job itself).
 */
export function costText(
  t: Pick<SupervisionProgress, 'cost' | 'costAt' | 'readAt' | 'updatedAt'> | undefined,
  nowMs = Date.now(),
): string {
  if (t?.cost === undefined) return money(undefined);
  const costAt = t.costAt ? Date.parse(t.costAt) : NaN;
  const figuresAt = Date.parse(t.readAt ?? t.updatedAt);
  if (!Number.isFinite(costAt) || !(costAt < figuresAt)) return money(t.cost);
  return `${money(t.cost)} (stale: read ${ageText(nowMs - costAt)} ago)`;
}

/** The estimated completion, for a job still under way only. */
export function etaText(t: Pick<SupervisionProgress, 'status' | 'eta'>): string | undefined {
  return ENDED.has(t.status) ? undefined : t.eta;
}

/** The status as a few human lines; `serving` is the deployment's standing in its slot, when read. */
export function statusLines(id: string, s: PipelineStatus, serving?: string): string[] {
  const t = s.training;
  // A pipeline that ended no longer waits for the fleet budget, and its training figures are its last look's.
  const ended = ENDED.has(s.phase);
  const lines = [`${id}  phase: ${s.phase}${s.failure ? `  (${s.failure})` : ''}`];
  if (s.jobId) lines.push(`  job: ${s.provider} ${s.jobId}${s.gpuType ? ` on ${s.gpuType}` : ''}`);
  if (s.fleetBudget && !ended) lines.push(`  fleet budget: ${s.fleetBudget}`);
  if (t) {
    const label = ended && !ENDED.has(t.status) ? 'training (its last look)' : 'training';
    const eta = ended ? undefined : etaText(t);
    lines.push(
      `  ${label}: ${t.status} epoch ${t.epoch ?? '-'}/${t.totalEpochs ?? '-'} step ${t.step ?? '-'}/${t.totalSteps ?? '-'} (${t.percentage ?? 0}%)  loss ${t.metrics.loss ?? '-'} best ${t.bestLoss ?? '-'}  cost ${costText(t)}${eta ? `  eta ${eta}` : ''}${t.resumes ? `  resumes ${t.resumes}` : ''}`,
    );
  }
  if (s.earlyStop) lines.push(`  ${earlyStopLine(s.earlyStop)}`);
  if (s.sweep) lines.push(...sweepLines(s.sweep));
  if (s.candidate) {
    const c = s.candidate;
    const agreement =
      c.agreesWithProviderBest === undefined
        ? ''
        : c.agreesWithProviderBest
          ? "; agrees with the provider's best"
          : `; the provider's best is ${c.providerBestCheckpointId}`;
    const seen =
      c.considered !== undefined && c.totalCheckpoints !== undefined && c.considered < c.totalCheckpoints
        ? `; compared ${c.considered} of ${c.totalCheckpoints}`
        : '';
    lines.push(
      `  candidate: ${c.checkpointId} (epoch ${c.epoch ?? '-'}, ${c.metric} ${c.value}${agreement}${seen})`,
    );
  }
  if (s.gate) lines.push(`  gate: ${s.gate.passed ? 'passed' : 'not passed'} — ${s.gate.reasons.join('; ')}`);
  if (s.awaitingApprovalUntil)
    lines.push(
      `  awaiting approval until ${s.awaitingApprovalUntil}: run \`npx starter approve ${id} --checkpoint ${s.candidate?.checkpointId}\` (or \`reject\`)`,
    );
  if (s.deployment)
    lines.push(
      `  deployment: ${s.deployment.target} ${s.deployment.id} ${serving ?? s.deployment.status}${s.deployment.url ? ` ${s.deployment.url}` : ''}`,
    );
  if (s.probe)
    lines.push(
      `  probe: ${s.probe.passed ? 'passed' : 'not passed'} — ${[...s.probe.reasons, s.probe.summary].join('; ')}`,
    );
  if (s.deployment?.removeByHand) lines.push(`  REMOVE BY HAND: ${s.deployment.removeByHand}`);
  if (s.deployment?.possibleDuplicate)
    lines.push(`  possible duplicate: ${s.deployment.possibleDuplicate.reason}`);
  if (s.pinned.length) lines.push(`  pinned: ${s.pinned.join(', ')}`);
  lines.push(...leftoverLines(s));
  return lines;
}

/** What a pipeline stopped, removed, or cannot vouch for: one indented line each, none when empty. */
function leftoverLines(s: PipelineLeftovers): string[] {
  const lines: string[] = [];
  if (s.stoppedJobs?.length) lines.push(`  stopped (did not deploy): ${s.stoppedJobs.join(', ')}`);
  if (s.removedDeployments?.length) lines.push(`  removed deployments: ${s.removedDeployments.join(', ')}`);
  if (s.duplicateJobs?.length)
    lines.push(`  duplicate jobs of a late create (stopped): ${s.duplicateJobs.join(', ')}`);
  if (s.possibleDuplicates?.length)
    lines.push(`  possible duplicates, check by hand: ${s.possibleDuplicates.join(', ')}`);
  return lines;
}

/** A finished pipeline in a few lines: where it serves, the checkpoint, what was cleaned, the cost. */
export function resultLines(result: PipelineResult): string[] {
  const lines = [
    result.outcome === 'deployed'
      ? `serving: ${result.deployment?.target} ${result.deployment?.id} ${result.deployment?.url ?? ''}`.trim()
      : `ended: ${result.outcome}`,
    `checkpoint ${result.checkpoint?.checkpointId ?? '-'} (${result.checkpoint?.metric ?? 'metric'} ${result.checkpoint?.value ?? '-'}); deleted ${result.deletedCheckpoints.length} old checkpoints; cost ${money(result.cost ?? 0)}`,
    ...(result.earlyStop ? [earlyStopLine(result.earlyStop)] : []),
    // Its cost is its budget's doing, not the epochs asked for: say so beside the figure.
    ...(result.fleetBudgetStopped
      ? [
          `training stopped by the fleet budget with a saved checkpoint, at ${money(result.cost ?? 0)}: ${result.fleetBudgetStopped}; the checkpoint is the best of the epochs trained`,
        ]
      : result.budgetStopped
        ? [
            `training stopped at its cost budget (budget.maxCost) with a saved checkpoint, at ${money(result.cost ?? 0)}: the checkpoint is the best of the epochs trained`,
          ]
        : []),
  ];
  return [...lines, ...leftoverLines(result).map((l) => l.trim())];
}
