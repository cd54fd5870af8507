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

/** Is the candidate good enough to deploy? Pure: the workflow supplies the numbers. */
export function evaluateGate(candidate: number, policy: GatePolicy, servingValue?: number): GateVerdict {
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
    const ok = margin === 0 ? better(candidate, servingValue) : atLeast(candidate, target);
    passed &&= ok;
    reasons.push(
      `${ok ? 'beats' : 'does not beat'} serving model: ${candidate} vs ${servingValue}${margin ? ` (margin ${margin})` : ''}`,
    );
  }
  if (reasons.length === 0) reasons.push('no gate configured');
  return { passed, reasons };
}
