/**
 * The probe before a promotion: the pipeline file's sample inputs, sent through the documented runsync
 * to the challenger and, in the same moments, to the champion it would replace. The challenger may
 * fail at most `maxErrorRate` of them, and its p95 latency may not exceed `maxP95` (when set) nor the
 * champion's p95 by more than `maxP95OverChampion` — a margin in time, not a ratio, so that two fast
 * endpoints a few milliseconds apart are not told apart by noise.
 */

/** One request of the probe: whether it was answered well, and how long the answer took. */
export interface ProbeSample {
  ok: boolean;
  latencyMs: number;
}

/** One endpoint's figures over the probe. `p95Ms` is over the answered requests; absent when none was. */
export interface ProbeFigures {
  sent: number;
  errors: number;
  errorRate: number;
  p95Ms?: number;
}

export interface ProbeThresholds {
  maxErrorRate: number;
  maxP95Ms?: number;
  maxP95OverChampionMs: number;
}

export interface ProbeVerdict {
  passed: boolean;
  /** Why it failed, one sentence per broken threshold; empty when it passed. */
  reasons: string[];
}

/** The nearest-rank percentile (`q` from 0 to 1) of the values; undefined for none. */
export function percentile(values: number[], q: number): number | undefined {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!finite.length) return undefined;
  const rank = Math.min(finite.length, Math.max(1, Math.ceil(q * finite.length)));
  return finite[rank - 1];
}

/** An endpoint's error rate and p95 latency over its probe requests. */
export function probeFigures(samples: ProbeSample[]): ProbeFigures {
  const errors = samples.filter((s) => !s.ok).length;
  const p95Ms = percentile(
    samples.filter((s) => s.ok).map((s) => s.latencyMs),
    0.95,
  );
  return {
    sent: samples.length,
    errors,
    errorRate: samples.length ? errors / samples.length : 0,
    ...(p95Ms !== undefined ? { p95Ms: Math.round(p95Ms) } : {}),
  };
}

const percent = (rate: number) => `${Math.round(rate * 1000) / 10} %`;

/** Whether the challenger may be promoted, judged on its figures beside the champion's (when one serves). */
export function probeVerdict(
  challenger: ProbeFigures,
  champion: ProbeFigures | undefined,
  t: ProbeThresholds,
): ProbeVerdict {
  const reasons: string[] = [];
  if (!challenger.sent) reasons.push('no probe request was sent');
  if (challenger.errorRate > t.maxErrorRate)
    reasons.push(
      `${challenger.errors} of ${challenger.sent} probe requests failed (${percent(challenger.errorRate)}; at most ${percent(t.maxErrorRate)} allowed)`,
    );
  const p95 = challenger.p95Ms;
  if (p95 !== undefined && t.maxP95Ms !== undefined && p95 > t.maxP95Ms)
    reasons.push(`p95 latency ${p95} ms is above the allowed ${t.maxP95Ms} ms`);
  const championP95 = champion?.p95Ms;
  if (p95 !== undefined && championP95 !== undefined && p95 > championP95 + t.maxP95OverChampionMs)
    reasons.push(
      `p95 latency ${p95} ms is more than ${t.maxP95OverChampionMs} ms above the champion's ${championP95} ms`,
    );
  return { passed: reasons.length === 0, reasons };
}

/** One line for status, notifications and the failure: both endpoints' figures. */
export function probeSummary(challenger: ProbeFigures, champion: ProbeFigures | undefined): string {
  const one = (f: ProbeFigures) =>
    `${f.errors}/${f.sent} failed, p95 ${f.p95Ms !== undefined ? `${f.p95Ms} ms` : 'n/a'}`;
  return `challenger ${one(challenger)}${champion ? `; champion ${one(champion)}` : ''}`;
}
