import axios, { type AxiosInstance } from 'axios';
import { catalogueForSeed, LIE_KINDS, type LieCatalogue } from '../../sandbox/adversary';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import type { AdminState } from '../../sandbox/admin-routes';

/** The lying provider: the seed decides the lies, every lie is recorded, nothing else changes. */
const KEY = 'lying-key';
const open: Sandbox[] = [];
afterAll(() => Promise.all(open.map((s) => s.close())));

async function liar(catalogue: LieCatalogue, profile: 'extended' | 'documented' = 'extended') {
  const sandbox = await startSandbox({
    epochMs: 60_000,
    queueMs: 0,
    deployMs: 0,
    profile,
    keys: { tensorone: KEY },
    adversary: { seed: 5, catalogue },
  });
  open.push(sandbox);
  const t1: AxiosInstance = axios.create({
    baseURL: sandbox.endpoints.tensorone.baseURL,
    headers: { authorization: `Bearer ${KEY}` },
    validateStatus: () => true,
    transformResponse: (raw: string) => raw, // the raw text: a lie may not be JSON
  });
  const admin = async () => (await axios.get<AdminState>(`${sandbox.url}/admin/state`)).data;
  return { sandbox, t1, admin };
}

const trainingJob = (sandbox: Sandbox) => {
  const job = sandbox.state.createJob({ name: 'lied-about', totalEpochs: 10 });
  sandbox.state.advance(job);
  return job;
};

describe('the catalogue a seed draws', () => {
  it('is the same for the same seed, differs between seeds, and holds only the kinds allowed', () => {
    expect(catalogueForSeed(7)).toEqual(catalogueForSeed(7));
    const seeds = Array.from({ length: 10 }, (_, i) => JSON.stringify(catalogueForSeed(i)));
    expect(new Set(seeds).size).toBe(10);
    const only = catalogueForSeed(7, ['statusFlip', 'lostAnswer']);
    expect(Object.keys(only).every((k) => ['statusFlip', 'lostAnswer'].includes(k))).toBe(true);
    // Across 40 seeds every kind is told somewhere, each with a rate, a count and a k.
    const told = new Set(Array.from({ length: 40 }, (_, i) => Object.keys(catalogueForSeed(i))).flat());
    expect([...told].sort()).toEqual([...LIE_KINDS].sort());
  });
});

describe('the lies, as a client meets them', () => {
  it('flips a training job’s status for k consecutive looks on get and list, then tells the truth, and records each look', async () => {
    const { sandbox, t1, admin } = await liar({ statusFlip: { rate: 1, count: 1, k: 3 } });
    const job = trainingJob(sandbox);
    const statusOnGet = async () => JSON.parse((await t1.get(`/v2/training/jobs/${job.id}`)).data).status;
    const statusOnList = async () =>
      JSON.parse((await t1.get('/v2/training/jobs')).data).jobs.find((j: { id: string }) => j.id === job.id)
        .status;
    const flipped = await statusOnGet();
    expect(flipped).not.toBe('running');
    expect(await statusOnList()).toBe(flipped);
    expect(await statusOnGet()).toBe(flipped);
    expect(await statusOnGet()).toBe('running');
    const state = await admin();
    expect(state.adversary?.liesByKind).toEqual({ statusFlip: 3 });
    expect(state.adversary?.lies.map((l) => [l.kind, l.route, l.resource])).toEqual([
      ['statusFlip', 'GET /tensorone/v2/training/jobs/:jobId', job.id],
      ['statusFlip', 'GET /tensorone/v2/training/jobs', job.id],
      ['statusFlip', 'GET /tensorone/v2/training/jobs/:jobId', job.id],
    ]);
    // The truth is kept apart: the job still trains.
    expect(state.jobs.find((j) => j.id === job.id)?.status).toBe('running');
  });

  it('answers 200 with an HTML page, half a JSON or nothing, on any route', async () => {
    const html = await liar({ htmlAnswer: { rate: 1, count: 1, k: 1 } });
    expect((await html.t1.get('/v2/training/jobs')).data).toContain('<html>');
    const cut = await liar({ truncatedJson: { rate: 1, count: 1, k: 1 } });
    const text = (await cut.t1.get('/v2/training/jobs')).data as string;
    expect(text.startsWith('{')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    const empty = await liar({ emptyBody: { rate: 1, count: 1, k: 1 } });
    const answer = await empty.t1.get('/v2/training/jobs');
    expect([answer.status, answer.data]).toEqual([200, '']);
    // The count is used up: the next answer is the truth.
    expect(JSON.parse((await empty.t1.get('/v2/training/jobs')).data).jobs).toEqual([]);
  });

  it('answers a delete 503 and performs it later all the same', async () => {
    const { sandbox, t1, admin } = await liar({ lateAct: { rate: 1, count: 1, k: 3 } });
    const job = trainingJob(sandbox);
    sandbox.state.advanceClock(3 * 60_000);
    sandbox.state.advance(job);
    const ckpt = sandbox.state.jobCheckpoints(job.id).find((c) => c.type === 'automatic')!;
    expect((await t1.delete(`/v2/training/checkpoints/${ckpt.id}`)).status).toBe(503);
    expect(sandbox.state.checkpoints.has(ckpt.id)).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(sandbox.state.checkpoints.has(ckpt.id)).toBe(false);
    expect((await admin()).deletedCheckpoints.map((c) => c.id)).toEqual([ckpt.id]);
  });

  it('answers a route the documents do not give with a web framework’s 404 naming the path (documented profile only)', async () => {
    const { t1 } = await liar({ frameworkNotFound: { rate: 1, count: 5, k: 1 } }, 'documented');
    const answer = await t1.get('/v2/endpoints/ep_2');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.data)).toEqual({
      error: 'NOT_FOUND',
      message: 'No route GET /v2/endpoints/ep_2',
    });
    const extended = await liar({ frameworkNotFound: { rate: 1, count: 5, k: 1 } });
    expect(JSON.parse((await extended.t1.get('/v2/endpoints')).data)).toEqual({ endpoints: [] });
  });

  it('with no lie drawn the documented profile answers as it does without an adversary', async () => {
    const plain = await startSandbox({ profile: 'documented', keys: { tensorone: KEY } });
    open.push(plain);
    const { t1 } = await liar({}, 'documented');
    const ask = (base: string) =>
      axios.get(`${base}/v2/endpoints/ep_1`, {
        headers: { authorization: `Bearer ${KEY}` },
        validateStatus: () => true,
      });
    const [lying, honest] = await Promise.all([
      t1.get('/v2/endpoints/ep_1'),
      ask(plain.endpoints.tensorone.baseURL),
    ]);
    expect([lying.status, JSON.parse(lying.data)]).toEqual([honest.status, honest.data]);
  });
});
