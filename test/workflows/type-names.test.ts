import * as workflows from '../../src/workflows';
import * as readWorkflows from '../../src/workflows/provider-reads';
import type { ProviderReadWorkflows } from '../../src/workflows/provider-reads/contract';
import { FLEET_BUDGET_WORKFLOW_TYPE, fleetBudgetId } from '../../src/workflows/fleet-budget/contract';
import {
  PROTECTION_REGISTRY_WORKFLOW_TYPE,
  protectionRegistryId,
} from '../../src/workflows/protection/contract';
import { SERVING_SLOT_WORKFLOW_TYPE } from '../../src/workflows/serving-slot/contract';
import { JOB_LIST_SWEEP_WORKFLOW_TYPE } from '../../src/workflows/job-list-sweep/contract';

// Activities and clients start these workflows by type name (they load no workflow code): each name
// must be one the worker runs.
describe('workflows started by type name', () => {
  it('the protection registry, the fleet budget and the serving slot run under the names their contracts give', () => {
    const run = workflows as Record<string, unknown>;
    expect(typeof run[PROTECTION_REGISTRY_WORKFLOW_TYPE]).toBe('function');
    expect(typeof run[FLEET_BUDGET_WORKFLOW_TYPE]).toBe('function');
    expect(typeof run[SERVING_SLOT_WORKFLOW_TYPE]).toBe('function');
  });

  it("the fleet's job-list sweep runs under the name the watch starts it by", () => {
    expect(typeof (workflows as Record<string, unknown>)[JOB_LIST_SWEEP_WORKFLOW_TYPE]).toBe('function');
  });

  it('the workflows kept per task queue keep their ids: a new id would leave the running registry and budget behind', () => {
    expect(protectionRegistryId('team-a')).toBe('checkpoint-protection--team-a');
    expect(fleetBudgetId('team-a')).toBe('fleet-budget--team-a');
  });

  it('every read workflow of the contract is one the worker runs, with its signature', () => {
    // Does not compile when a read workflow of the contract is missing or answers another type.
    const byName: ProviderReadWorkflows = readWorkflows;
    for (const name of Object.keys(byName))
      expect(typeof (workflows as Record<string, unknown>)[name]).toBe('function');
    expect(Object.keys(byName).sort()).toEqual([
      'getMarqtuneModelAtProviderRate',
      'getTrainingJobAtProviderRate',
      'listEndpointsAtProviderRate',
      'listRegisteredModelsAtProviderRate',
      'listTrainingJobsAtProviderRate',
    ]);
  });
});
