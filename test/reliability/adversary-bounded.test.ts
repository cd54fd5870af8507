/**
 * The bounded form of `npm run test:adversary`: one seed on both sandbox profiles — the four example
 * pipelines and a retrain each, against the lying provider, with the operator (pin, approve, cancel,
 * rollback), the gated pipeline's job stalling once (its supervision must stop and resume it) and
 * Temporal-side accidents — then every invariant of chaos/invariants.ts, which must hold.
 *
 * It draws from every lie kind: statusFlip, stepReset, stepWobble, stepFreeze, htmlAnswer, truncatedJson,
 * emptyBody, lostAnswer, lateAct, frameworkNotFound, stoppedByHand, deletedByHand, rateLimitBurst; and
 * these accidents: killWorker, terminateChild, terminateSlot, terminateRegistry. The server restart is in
 * the bounded chaos run. ADVERSARY_BOUNDED_SEEDS, ADVERSARY_BOUNDED_KINDS and ADVERSARY_BOUNDED_ACCIDENTS
 * (comma-separated) change the draw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const KINDS = [
  'statusFlip',
  'stepReset',
  'stepWobble',
  'stepFreeze',
  'htmlAnswer',
  'truncatedJson',
  'emptyBody',
  'lostAnswer',
  'lateAct',
  'frameworkNotFound',
  'stoppedByHand',
  'deletedByHand',
  'rateLimitBurst',
];
const ACCIDENTS = ['killWorker', 'terminateChild', 'terminateSlot', 'terminateRegistry'];
const seeds = process.env.ADVERSARY_BOUNDED_SEEDS ?? '1';
const kinds = process.env.ADVERSARY_BOUNDED_KINDS?.split(',') ?? KINDS;
const accidents = process.env.ADVERSARY_BOUNDED_ACCIDENTS?.split(',') ?? ACCIDENTS;

interface AdversarySummary {
  trials: number;
  pipelineRuns: number;
  outcomes: Record<string, number>;
  liesByKind: Record<string, number>;
  accidents: Record<string, number>;
  operator: Record<string, number>;
  stallStops: number;
  violationsPerInvariant: Record<string, number>;
  violations: { seed: number; profile: string; invariant: string; subject: string; what: string }[];
  failures: string[];
}

const repo = path.resolve(__dirname, '../..');
let summary: AdversarySummary;
let output = '';
let run: ChildProcess | undefined;
let exitCode: number;

beforeAll(async () => {
  exitCode = await new Promise<number>((resolve) => {
    run = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'chaos/adversary.ts',
        '--seeds',
        seeds,
        '--kinds',
        kinds.join(','),
        '--accidents',
        accidents.join(','),
        '--parallel',
        '2',
        '--trial-minutes',
        '3',
        '--json',
      ],
      { cwd: repo, env: { ...process.env, TEMPORAL_ADDRESS: '' }, detached: true },
    );
    run.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    run.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    run.on('close', (c) => resolve(c ?? 1));
  });
  const line = output.split('\n').find((l) => l.startsWith('ADVERSARY_SUMMARY '));
  if (!line) throw new Error(`the adversary printed no summary (exit ${exitCode}):\n${output.slice(-6000)}`);
  summary = JSON.parse(line.slice('ADVERSARY_SUMMARY '.length)) as AdversarySummary;
  // Its report (violations with their seed and events, then the figures), for whoever reads the log.
  process.stdout.write(
    `${output
      .split('\n')
      .filter(
        (l) => !l.startsWith('adversary ') && !l.startsWith('time=') && !l.startsWith('ADVERSARY_SUMMARY'),
      )
      .join('\n')}\n`,
  );
}, 4 * 60_000);

// If jest gives up first, the run (its dev server and worker processes) must not outlive it.
afterAll(() => {
  if (run?.pid && run.exitCode === null) process.kill(-run.pid, 'SIGKILL');
});

describe(`the bounded adversary (seeds ${seeds}, both profiles)`, () => {
  it('runs the four examples and a retrain per seed and profile, against lies of the allowed kinds only', () => {
    expect(summary.pipelineRuns).toBe(summary.trials * 5);
    const told = Object.keys(summary.liesByKind);
    expect(told.filter((k) => !kinds.includes(k))).toEqual([]);
    expect(Object.values(summary.liesByKind).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(
      Object.keys(summary.accidents).filter((k) => summary.accidents[k] && !accidents.includes(k)),
    ).toEqual([]);
    expect(summary.operator.approve).toBeGreaterThanOrEqual(1);
    // The stalled job was stopped for its stall, so I10 judged a stop rather than none.
    expect(summary.stallStops).toBeGreaterThanOrEqual(1);
  });

  it('keeps every invariant', () => {
    expect(summary.violations).toEqual([]);
    expect(Object.values(summary.violationsPerInvariant).every((n) => n === 0)).toBe(true);
    expect(exitCode).toBe(0);
  });
});
