import { budgetLines } from '../../src/cli/commands/budget';
import { resultLines } from '../../src/cli/render';
import { DAY_MS, emptyLedger, fleetUsage, reserve, type FleetLedger } from '../../src/decisions/fleet-budget';
import { markStopped, recordCost } from '../../src/decisions/fleet-stop';
import type { PipelineResult } from '../../src/workflows/pipeline/contract';

/** What a person reads of a job the fleet budget stopped: the pipeline's result, and `starter budget`. */
describe('a job the fleet budget stopped', () => {
  const result: PipelineResult = {
    outcome: 'deployed',
    provider: 'tensorone',
    jobId: 'job_1',
    deployment: { target: 'tensorone-endpoint', id: 'ep_1', status: 'active' },
    deletedCheckpoints: [],
    bytesReclaimed: 0,
    cost: 5.31,
    resumes: 0,
    budgetStopped: true,
    fleetBudgetStopped: 'the fleet budget of $34 per day is passed: …',
  };

  it('its result says the fleet budget stopped training, not its own budget.maxCost', () => {
    const lines = resultLines(result);
    expect(lines).toContain(
      'training stopped by the fleet budget with a saved checkpoint, at $5.31: the fleet budget of $34 per day is passed: …; the checkpoint is the best of the epochs trained',
    );
    expect(lines.join('\n')).not.toContain('budget.maxCost');
  });

  it('`starter budget` marks it stopped, with its cost so far', () => {
    const NOW = Date.parse('2026-12-06T10:00:00Z');
    let ledger: FleetLedger = {
      ...emptyLedger(),
      limit: { amount: 40, windowMs: DAY_MS, setAt: '2026-12-06T09:00:00.000Z' },
    };
    ledger = reserve(ledger, { workflowId: 'pipeline-a', runId: 'r1', amount: 20 }, NOW).ledger;
    ledger = reserve(ledger, { workflowId: 'pipeline-b', runId: 'r2', amount: 15 }, NOW).ledger;
    // Lowered to $34 while both run.
    ledger = { ...ledger, limit: { ...ledger.limit!, amount: 34 } };
    ledger = recordCost(ledger, { workflowId: 'pipeline-b', runId: 'r2', cost: 5.31 });
    ledger = markStopped(ledger, [{ workflowId: 'pipeline-b', runId: 'r2' }], 'why', NOW + 60_000);
    expect(budgetLines('team-a', { ledger, usage: fleetUsage(ledger, NOW) }).slice(2)).toEqual([
      '  holds    $20  pipeline-a (run r1, since 2026-12-06T10:00:00.000Z)',
      '  holds    $15  pipeline-b (run r2, since 2026-12-06T10:00:00.000Z; cost so far $5.31); stopped by the fleet budget at 2026-12-06T10:01:00.000Z',
    ]);
  });
});
