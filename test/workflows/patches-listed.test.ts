import fs from 'node:fs';
import path from 'node:path';
import { patchFacts, workflowTypesAsking } from '../../scripts/patches';

/** Every patch the workflows ask is in the versioning table, and every history the table names exists. */
const architecture = fs.readFileSync(path.resolve(__dirname, '../../docs/architecture.md'), 'utf8');
const facts = patchFacts();

it('finds the patches the workflows ask, in every workflow folder and the provider-queue interceptor', () => {
  expect(facts.length).toBeGreaterThan(30);
  for (const folder of ['pipeline', 'supervise', 'cleanup', 'protection', 'serving-slot', 'provider-rate'])
    expect(facts.some((f) => f.folder === folder)).toBe(true);
});

it('a provider-queue patch is checked against the open runs of every workflow that calls a provider, serving slots included', () => {
  const asking = workflowTypesAsking('provider-rate');
  for (const type of [
    'fineTuneToDeploy',
    'superviseTrainingJob',
    'checkpointCleanup',
    'servingSlot',
    'reconcileOrphans',
  ])
    expect(asking).toContain(type);
  expect(asking).not.toContain('stopSupervisedJobSignal');
});

it.each(facts.map((f) => [f.id, f.folder]))(
  'patch %s (in %s) is checked against the open runs of the workflow types that ask it',
  (_id, folder) => {
    expect(workflowTypesAsking(folder)).not.toEqual([]);
  },
);

it.each(facts.map((f) => [f.id]))('patch %s is described in docs/architecture.md (Versioning)', (id) => {
  expect(architecture).toContain(`\`${id}\``);
});

it('every history named in the versioning table is recorded in test/histories', () => {
  const named = [...architecture.matchAll(/`([a-z0-9-]+-v\d+[a-z0-9-]*\.json)`/g)].map((m) => m[1]);
  expect(named.length).toBeGreaterThan(5);
  for (const name of named)
    expect(fs.existsSync(path.resolve(__dirname, '../histories', name)) ? name : `missing ${name}`).toBe(
      name,
    );
});
