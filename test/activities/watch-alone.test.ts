import { createActivities } from '../../src/activities';
import type { BetweenLooks, WatchInput, WatchOutcome } from '../../src/activities/watch';
import type { Sandbox } from '../../sandbox/server';
import type { ProviderClients } from '../../src/providers/config';
import { runActivityResuming, runningJobWatch } from '../harness/activity-env';
import { eventually, startTestSandbox } from '../harness/sandbox';

// A sandbox of its own: the jobs it shows are exactly the ones these tests start.
let sandbox: Sandbox;
let clients: ProviderClients;
beforeAll(async () => {
  ({ sandbox, clients } = await startTestSandbox({ epochMs: 200, queueMs: 0 }));
});
afterAll(async () => {
  await sandbox.close();
});

const FRESHNESS = 60_000;

async function lookOnce(jobId: string, nowMs: number): Promise<BetweenLooks> {
  // A new worker process each time: its first look makes a sweep of its own.
  const { watchTrainingJob } = createActivities(clients);
  const look = await runActivityResuming<[WatchInput], WatchOutcome>(
    { workflowId: `look-${jobId}`, attempt: 1 },
    watchTrainingJob,
    runningJobWatch(jobId, nowMs, { freshnessMs: FRESHNESS }),
  );
  expect(look.error).toMatchObject({ type: 'JOB_UNCHANGED' });
  return look.heartbeats.at(-1) as BetweenLooks;
}

async function runningJob(name: string) {
  const job = sandbox.state.createJob({ name, totalEpochs: 100_000 });
  await eventually(() => sandbox.state.advance(job).status === 'running');
  return job;
}

it('a job watched alone is looked at once per freshness; beside another running job its looks follow the shared sweeps again', async () => {
  const alone = await runningJob('watched-alone');
  const since = Date.now();
  const now = Date.now();
  const first = await lookOnce(alone.id, now);
  // The sweep showed no other job: nothing to batch, so the next look comes a whole freshness later
  // (one request per freshness, as reading the job itself), not when a shared sweep would be renewed.
  // (The watch's clock is the host's when that is later than its start: a few ms.)
  expect(first.nextLookAtMs - now).toBeGreaterThanOrEqual(FRESHNESS);
  expect(first.nextLookAtMs - Date.now()).toBeLessThanOrEqual(FRESHNESS);
  expect(sandbox.state.requestLog.filter((r) => r.at >= since)).toHaveLength(1);

  const other = await runningJob('watched-beside');
  const later = Date.now();
  const beside = await lookOnce(alone.id, later);
  // Two jobs in the sweep: the look comes back when that sweep grows too old, at its place in the spread.
  expect(beside.nextLookAtMs - later).toBeGreaterThanOrEqual(0.7 * FRESHNESS);
  expect(beside.nextLookAtMs - later).toBeLessThanOrEqual(0.9 * FRESHNESS);
  sandbox.state.stopJob(alone, false);
  sandbox.state.stopJob(other, false);
});
