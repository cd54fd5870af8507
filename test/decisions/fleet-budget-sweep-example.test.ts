import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  DAY_MS,
  emptyLedger,
  reservationRefusal,
  reserve,
  type FleetLedger,
} from '../../src/decisions/fleet-budget';
import { parsePipelineInput } from '../../src/domain/pipeline-input';

/** examples/pipeline-sweep.yaml under the fleet budget docs/fleet-budget.md sets ($500 a day). */
const example = parsePipelineInput(
  YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../examples/pipeline-sweep.yaml'), 'utf8')),
);
const ledger = (amount: number): FleetLedger => ({
  ...emptyLedger(),
  limit: { amount, windowMs: DAY_MS, setAt: '2026-12-06T09:00:00.000Z' },
});
const holder = (i: number) => ({
  workflowId: `pipeline-support-assistant-sweep/trial-0${i}`,
  runId: `r${i}`,
});

it('the sweep example runs under a $500 fleet budget: each trial reserves budget.maxCost, all parallel trials admitted at once', () => {
  if (example.train.kind !== 'tensorone' || !example.train.sweep) throw new Error('the example is a sweep');
  const amount = example.budget?.maxCost;
  expect(reservationRefusal(ledger(500), { ...holder(0), amount })).toBeUndefined();
  let next = ledger(500);
  const now = Date.parse('2026-12-06T10:00:00.000Z');
  for (let i = 0; i < example.train.sweep.parallel; i++) {
    const answer = reserve(next, { ...holder(i), amount: amount! }, now);
    expect(answer.answer.outcome).toBe('admitted');
    next = answer.ledger;
  }
});
