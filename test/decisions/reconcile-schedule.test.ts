import { mergeReconcileInput, reconcileSettingsLines } from '../../src/decisions/reconcile-schedule';

const input = { dryRun: true, graceMs: 3_600_000 };

describe('mergeReconcileInput', () => {
  it('keeps every setting no change names', () => {
    expect(mergeReconcileInput(input, {})).toEqual(input);
    expect(mergeReconcileInput(input, { timing: { every: '30m' } })).toEqual(input);
  });
  it('sets the ones given, false and the 1-minute grace included', () => {
    expect(mergeReconcileInput(input, { dryRun: false })).toEqual({ dryRun: false, graceMs: 3_600_000 });
    expect(mergeReconcileInput(input, { graceMs: 60_000 })).toEqual({ dryRun: true, graceMs: 60_000 });
  });
});

describe('reconcileSettingsLines', () => {
  it('says what each changed setting was, and nothing for the rest', () => {
    expect(
      reconcileSettingsLines(
        { timing: { cron: '0 * * * *' }, input: { dryRun: false, graceMs: 5_400_000 } },
        { timing: { every: '1h' }, input: { dryRun: false, graceMs: 3_600_000 } },
      ),
    ).toEqual([
      '  runs: cron "0 * * * *" (was every 1h)',
      '  grace: 90m (was 1h)',
      '  mode: stops and removes',
    ]);
  });
  it('a calendar the CLI did not write reads "as before"', () => {
    expect(reconcileSettingsLines({ input })[0]).toBe(
      '  runs: as before (a calendar this CLI did not write)',
    );
  });
});
