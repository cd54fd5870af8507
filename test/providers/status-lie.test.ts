import type { ProviderClients } from '../../src/providers/config';
import type { Sandbox } from '../../sandbox/server';
import { sandboxAdmin } from '../../sandbox/admin-client';
import { eventually, startTestSandbox } from '../harness/sandbox';
import { tellLie } from '../../sandbox/status-lie';

/** The sandbox's lying provider (`statusLie`), and what the clients read of a Marqtune model's epochs. */
let sandbox: Sandbox;
let clients: ProviderClients;
beforeAll(async () => {
  ({ sandbox, clients } = await startTestSandbox({ epochMs: 400 }));
});
afterAll(() => sandbox.close());

it('statusLie: the next k answers about a job training epoch e or later, list and GET alike, say the lie; then the truth', async () => {
  const admin = sandboxAdmin(sandbox.url);
  const { id } = await clients.tensorone.jobs.create({
    name: 'lied-about',
    modelType: 'llm',
    datasetId: 'ds_support_tickets',
    config: { training: { epochs: 20 } },
    gpuType: 'a100',
  });
  await eventually(() => sandbox.state.advance(sandbox.state.jobs.get(id)!).completedEpochs >= 1);
  await admin.setFaults({
    statusLie: { status: 'completed', atEpoch: 2, looks: 2, jobNameContains: 'lied' },
  });
  const listed = (await clients.tensorone.jobs.list({ limit: 100 })).jobs.find((j) => j.id === id)!;
  const got = await clients.tensorone.jobs.get(id);
  const after = await clients.tensorone.jobs.get(id);
  expect([listed.status, got.status, after.status]).toEqual(['completed', 'completed', 'running']);
  // Progress is the job's own: short of its total.
  expect(got.progress.currentStep!).toBeLessThan(got.progress.totalSteps!);
  expect(sandbox.state.faultsInjected.statusLie).toBe(2);
  await admin.setFaults({});
});

it('a Marqtune model reads its total epochs from hyperparameters.epochs, and is lied about like a job', async () => {
  const admin = sandboxAdmin(sandbox.url);
  const { modelId } = await admin.addMarqtuneModel({ modelName: 'mq-lied', epochs: 20 });
  await eventually(async () => (await clients.marqtune.models.get(modelId)).checkpointIds.length >= 1);
  await admin.setFaults({ statusLie: { status: 'Ready', atEpoch: 1, looks: 1, jobNameContains: 'mq-lied' } });
  const lied = await clients.marqtune.models.get(modelId);
  expect(lied.status).toBe('completed');
  expect(lied.progress.totalEpochs).toBe(20);
  expect(lied.progress.currentEpoch!).toBeLessThan(20);
  expect((await clients.marqtune.models.get(modelId)).status).toBe('running');
  await admin.setFaults({});
});

describe('tellLie: the one rule behind the statusLie fault and the adversary’s flips', () => {
  const training = (trainingEpoch: number, name = 'job-a') => ({ name, training: true, trainingEpoch });

  it('a configured lie: told from its epoch on (equal included), about a job that trains and is named so, for its looks', () => {
    const lie = { status: 'failed', looks: 2, atEpoch: 3, jobNameContains: 'job-a' };
    expect(tellLie(lie, training(2))).toBeUndefined();
    expect(tellLie(lie, { ...training(5), training: false })).toBeUndefined();
    expect(tellLie(lie, training(5, 'job-b'))).toBeUndefined();
    expect(lie.looks).toBe(2);
    expect([tellLie(lie, training(3)), tellLie(lie, training(4)), tellLie(lie, training(4))]).toEqual([
      'failed',
      'failed',
      undefined,
    ]);
    expect(lie.looks).toBe(0);
  });

  it('a drawn flip (no epoch, no name): told on its looks whatever the job does, then never', () => {
    const flip = { status: 'cancelled', looks: 1 };
    expect(tellLie(flip, { name: 'x', training: false, trainingEpoch: 1 })).toBe('cancelled');
    expect(tellLie(flip, training(9))).toBeUndefined();
    expect(tellLie(undefined, training(9))).toBeUndefined();
  });
});
