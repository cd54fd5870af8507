import {
  defaultTerminalWindowMs,
  endReportByMs,
  isHeldEnd,
  judgeEnd,
  MIN_CONFIRMING_LOOKS,
  type EndLook,
  type EndRule,
  type EndSighting,
} from '../../src/decisions/terminal-status';

const MIN = 60_000;
const rule: EndRule = { windowMs: 15 * MIN, graceMs: 30 * MIN, grace: '30m', jobId: 'job_a' };
const look = (over: Partial<EndLook> = {}): EndLook => ({
  status: 'failed',
  step: 400,
  epoch: 4,
  checkpointsSeen: 3,
  polls: 10,
  nowMs: 0,
  ...over,
});
/** Judges a run of looks from nothing sighted, handing each verdict's sighting to the next. */
function judgeRun(looks: EndLook[], r: EndRule = rule) {
  let seen: EndSighting | undefined;
  const verdicts = [];
  for (const l of looks) {
    const judged = judgeEnd(seen, l, r);
    seen = judged.sighting;
    verdicts.push(judged.verdict);
  }
  return { verdicts, seen };
}

describe('when a "failed", "cancelled" or "stopped" can be believed', () => {
  it('held: failed, cancelled and stopped; completed (its own doubt), running, queued and unknown are not', () => {
    expect(['failed', 'cancelled', 'stopped'].every((s) => isHeldEnd(s as never))).toBe(true);
    for (const s of ['completed', 'running', 'queued', 'pending', 'unknown'] as const) {
      expect(isHeldEnd(s)).toBe(false);
      expect(judgeEnd(undefined, look({ status: s }), rule)).toEqual({ verdict: { kind: 'not-held' } });
    }
  });

  it('a first sighting waits until the window ends, whatever the look says', () => {
    expect(judgeEnd(undefined, look({ nowMs: 1000 }), rule)).toEqual({
      sighting: {
        status: 'failed',
        sinceMs: 1000,
        firstSinceMs: 1000,
        polls: 10,
        step: 400,
        epoch: 4,
        checkpointsSeen: 3,
      },
      verdict: { kind: 'wait', untilMs: 1000 + 15 * MIN },
    });
  });

  it('believed at exactly the window on the third agreeing look; a millisecond short, or on two looks, not', () => {
    const first = look({ polls: 10 });
    expect(judgeRun([first, look({ polls: 12, nowMs: 15 * MIN })]).verdicts.at(-1)).toEqual({
      kind: 'believe',
    });
    expect(judgeRun([first, look({ polls: 12, nowMs: 15 * MIN - 1 })]).verdicts.at(-1)).toMatchObject({
      kind: 'wait',
      untilMs: 15 * MIN,
    });
    // Two looks only (the sighting's and one at the window): waits for one more.
    expect(MIN_CONFIRMING_LOOKS).toBe(3);
    expect(judgeRun([first, look({ polls: 11, nowMs: 20 * MIN })]).verdicts.at(-1)).toMatchObject({
      kind: 'wait',
    });
  });

  it('a status that reverts clears the sighting: a later end starts its window anew', () => {
    const { verdicts, seen } = judgeRun([
      look({ nowMs: 0 }),
      look({ status: 'running', nowMs: 5 * MIN, polls: 11 }),
      look({ nowMs: 10 * MIN, polls: 12 }),
      look({ nowMs: 16 * MIN, polls: 14 }),
    ]);
    expect(verdicts[1]).toEqual({ kind: 'not-held' });
    expect(verdicts[3]).toEqual({ kind: 'wait', untilMs: 25 * MIN });
    expect(seen?.sinceMs).toBe(10 * MIN);
  });

  it('another end than the one sighted starts a new window', () => {
    const { verdicts } = judgeRun([look(), look({ status: 'cancelled', polls: 13, nowMs: 15 * MIN })]);
    expect(verdicts[1]).toEqual({ kind: 'wait', untilMs: 30 * MIN });
  });

  it('steps, epochs or checkpoints advancing contradict it: a new window, then given up on past the grace', () => {
    for (const [over, says] of [
      [{ step: 401 }, 'answered "failed" while its step went from 400 to 401'],
      [{ epoch: 5 }, 'answered "failed" while its epoch went from 4 to 5'],
      [{ checkpointsSeen: 4 }, 'answered "failed" while 1 new checkpoint(s) appeared'],
    ] as const) {
      const { verdicts, seen } = judgeRun([look(), look({ ...over, polls: 13, nowMs: 15 * MIN })]);
      // Contradicted at the window: the grace (30m from the first sighting) ends before the new window.
      expect(verdicts[1]).toEqual({ kind: 'wait', untilMs: 30 * MIN });
      expect(seen).toMatchObject({ sinceMs: 15 * MIN, firstSinceMs: 0, doubt: says });
      expect(endReportByMs(seen!, rule)).toBe(30 * MIN);
    }
    const { verdicts } = judgeRun([
      look(),
      look({ step: 500, polls: 13, nowMs: 15 * MIN }),
      look({ step: 600, polls: 16, nowMs: 30 * MIN }),
    ]);
    expect(verdicts[2]).toEqual({
      kind: 'give-up',
      message:
        'training job job_a answered "failed" while its step went from 500 to 600, and kept answering so for 30m: not believed, nothing deployed from it',
    });
  });

  it('a contradicted end that then holds still over a window is believed (a job that trained a little, then really failed)', () => {
    const long = { ...rule, graceMs: 2 * 60 * MIN };
    const { verdicts } = judgeRun(
      [
        look(),
        look({ step: 500, polls: 13, nowMs: 15 * MIN }),
        look({ step: 500, polls: 16, nowMs: 30 * MIN }),
      ],
      long,
    );
    expect(verdicts[2]).toEqual({ kind: 'believe' });
  });

  it('a step that falls (a counter reset), is missing or NaN contradicts nothing', () => {
    for (const over of [{ step: 0 }, { step: undefined }, { step: NaN }, { epoch: NaN }]) {
      const { verdicts } = judgeRun([look(), look({ ...over, polls: 13, nowMs: 15 * MIN })]);
      expect(verdicts[1]).toEqual({ kind: 'believe' });
    }
    const { verdicts } = judgeRun([
      look({ step: undefined }),
      look({ step: 900, polls: 13, nowMs: 15 * MIN }),
    ]);
    expect(verdicts[1]).toEqual({ kind: 'believe' });
  });

  it('the default window: three freshness windows or ten minimum intervals, whichever is longer', () => {
    expect(defaultTerminalWindowMs(5 * MIN, 30_000)).toBe(15 * MIN);
    expect(defaultTerminalWindowMs(1000, 500)).toBe(5000);
    expect(defaultTerminalWindowMs(5000, 1000)).toBe(15_000);
  });
});
