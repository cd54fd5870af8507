import { listQuery } from '../../src/cli/commands/list';

/**
 * `starter list --phase`: a pipeline's phase is the last one its run recorded, so a run terminated
 * while it waited for the budget still reads `awaiting-budget`. A phase a run passes through names
 * running pipelines only; the phases a pipeline ends in name ended ones.
 */
describe('starter list --phase', () => {
  it.each([['awaiting-budget'], ['training'], ['awaiting-approval'], ['starting']])(
    '%s: running pipelines only (a terminated one is not waiting, training…)',
    (phase) => {
      expect(listQuery({ phase })).toBe(
        `WorkflowType = 'fineTuneToDeploy' AND FtpPhase = '${phase}' AND ExecutionStatus = 'Running'`,
      );
    },
  );

  it.each([['completed'], ['failed'], ['cancelled']])(
    '%s: as recorded, whatever the run’s status',
    (phase) => {
      expect(listQuery({ phase })).toBe(`WorkflowType = 'fineTuneToDeploy' AND FtpPhase = '${phase}'`);
    },
  );

  it('no phase: every pipeline, running or not', () => {
    expect(listQuery({ provider: 'tensorone', job: "job_1'" })).toBe(
      "WorkflowType = 'fineTuneToDeploy' AND FtpProvider = 'tensorone' AND FtpJobId = 'job_1'",
    );
  });
});
