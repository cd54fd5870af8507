interface GatePolicy {
  direction: 'minimize' | 'maximize';
  /** The candidate must be at least this good (≤ for minimize, ≥ for maximize). */
  threshold?: number;
  /** The candidate must beat the serving model by at least this margin (default 0: strictly better). */
  minImprovement?: number;
}

export interface GateVerdict {
  passed: boolean;
  reasons: string[];
}

/**
 * What the candidate is compared against: a number (the registry model named by `gate.servingModelId`:
 * strictly better), or the slot's champion (a retrain that ties the champion passes: it refreshes the
 * model on newer data without making it worse).
 */
export type GateBaseline = number | { value: number; label: string; tiesPass: boolean };

/** Is the candidate good enough to deploy? Pure: the workflow supplies the numbers. */
export function evaluateGate(candidate: number, policy: GatePolicy, baseline?: GateBaseline): GateVerdict {
  const servingValue = typeof baseline === 'number' ? baseline : baseline?.value;
  const label = typeof baseline === 'object' ? baseline.label : 'serving model';
  const tiesPass = typeof baseline === 'object' && baseline.tiesPass;
  const better = (a: number, b: number) => (policy.direction === 'minimize' ? a < b : a > b);
  const atLeast = (a: number, b: number) => (policy.direction === 'minimize' ? a <= b : a >= b);
  const reasons: string[] = [];
  let passed = true;
  if (policy.threshold !== undefined) {
    const ok = atLeast(candidate, policy.threshold);
    passed &&= ok;
    reasons.push(
      `${ok ? 'meets' : 'misses'} threshold: ${candidate} ${policy.direction === 'minimize' ? '≤' : '≥'} ${policy.threshold}`,
    );
  }
  if (servingValue !== undefined) {
    const margin = policy.minImprovement ?? 0;
    const target = policy.direction === 'minimize' ? servingValue - margin : servingValue + margin;
    const ok = margin === 0 && !tiesPass ? better(candidate, servingValue) : atLeast(candidate, target);
    passed &&= ok;
    const verb = ok ? (better(candidate, servingValue) || !tiesPass ? 'beats' : 'ties') : 'does not beat';
    reasons.push(`${verb} ${label}: ${candidate} vs ${servingValue}${margin ? ` (margin ${margin})` : ''}`);
  }
  if (reasons.length === 0) reasons.push('no gate configured');
  return { passed, reasons };
}

/** A champion's metric, when it was chosen on the same metric the candidate is: else it cannot be compared. */
export function championBaseline(
  champion:
    { deploymentId: string; checkpointId: string; metric?: { name: string; value: number } } | undefined,
  metric: string,
): { value: number; label: string; tiesPass: true } | undefined {
  if (!champion?.metric || champion.metric.name !== metric || !Number.isFinite(champion.metric.value))
    return undefined;
  return {
    value: champion.metric.value,
    label: `champion ${champion.deploymentId} (checkpoint ${champion.checkpointId})`,
    tiesPass: true,
  };
}
