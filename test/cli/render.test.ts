import { statusLines } from '../../src/cli/render';
import type { PipelineStatus } from '../../src/workflows/definitions';

const base: PipelineStatus = {
  phase: 'deploying',
  provider: 'tensorone',
  pinned: [],
  updatedAt: '2026-11-26T20:00:00Z',
};

describe('starter status: the probe before promotion', () => {
  it('a failed probe says which threshold broke and both endpoints’ figures', () => {
    const lines = statusLines('pipeline-p', {
      ...base,
      phase: 'failed',
      probe: {
        passed: false,
        reasons: ["p95 latency 320 ms is more than 100 ms above the champion's 4 ms"],
        summary: 'challenger 0/3 failed, p95 320 ms; champion 0/3 failed, p95 4 ms',
        champion: 'ep_1',
      },
    });
    expect(lines).toContain(
      "  probe: not passed — p95 latency 320 ms is more than 100 ms above the champion's 4 ms; challenger 0/3 failed, p95 320 ms; champion 0/3 failed, p95 4 ms",
    );
  });
  it('a passed probe shows its figures; no probe, no line', () => {
    const passed = statusLines('pipeline-p', {
      ...base,
      probe: { passed: true, reasons: [], summary: 'challenger 0/3 failed, p95 5 ms' },
    });
    expect(passed).toContain('  probe: passed — challenger 0/3 failed, p95 5 ms');
    expect(statusLines('pipeline-p', base).some((l) => l.includes('probe'))).toBe(false);
  });
});
