import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { fleetJobSweeps } from '../../src/activities/fleet-job-sweep';
import { jobSweeps, type Sweep } from '../../src/activities/job-sweep';
import { watchActivities } from '../../src/activities/watch';
import { MAX_SWEPT_JOBS } from '../../src/workflows/job-list-sweep/contract';
import { sweepWindowMs } from '../../src/decisions/supervision';
import type { BetweenLooks, WatchInput, WatchOutcome } from '../../src/activities/watch';
import { createProviderClients } from '../../src/providers/config';
import { runningJobWatch } from '../harness/activity-env';
import { useWorkflowTestBed } from '../harness/workflow-env';
import { eventually } from '../harness/sandbox';

// Two worker processes of one task queue, each with its own activities (its own caches), looking at
// their jobs on the time-skipping server: the job-list sweep they read is the fleet's, made once per
// freshness window by a `jobListSweep` run that the real worker of the queue runs.
const FRESHNESS = 60_000;
const bed = useWorkflowTestBed({ queueMs: 0 });

/** One look by `process` at a job known to be running, as an attempt of a watch on the bed's task queue. */
async function lookAt(
  process: Pick<ReturnType<typeof createActivities>, 'watchTrainingJob'>,
  jobId: string,
  nowMs: number,
  options: { taskQueue?: string; plan?: Partial<WatchInput['plan']> } = {},
): Promise<{ result?: WatchOutcome; error?: unknown; beat?: BetweenLooks }> {
  const env = new MockActivityEnvironment(
    {
      workflowExecution: { workflowId: `look-${jobId}`, runId: 'run-1' },
      taskQueue: options.taskQueue ?? bed.taskQueue,
      attempt: 1,
    },
    { client: workerClient() },
  );
  let beat: BetweenLooks | undefined;
  env.on('heartbeat', (d: BetweenLooks) => (beat = d));
  try {
    return {
      result: await env.run(
        process.watchTrainingJob,
        runningJobWatch(jobId, nowMs, { freshnessMs: FRESHNESS, ...options.plan }),
      ),
      beat,
    };
  } catch (error) {
    return { error, beat };
  }
}

/**
 * The client a worker hands its activities: a plain one on the server's connection (the test
 * environment's own client lets the server skip time while it waits, which no worker's does).
 */
const workerClient = () => new Client({ connection: bed.env.connection, namespace: bed.env.namespace });

const since = (ms: number) => bed.sandbox.state.requestLog.filter((r) => r.at >= ms);
const listReads = (ms: number) => since(ms).filter((r) => r.path === '/tensorone/v2/training/jobs');
const jobReads = (ms: number) => since(ms).filter((r) => /\/v2\/training\/jobs\/[^/]+$/.test(r.path));

/**
 * A test whose looks count the sweeps of one window starts with room left in it: the looks take the
 * time-skipping server's clock, the sweep's run names its window by the worker's, and a test that ran
 * across a window's end (42 s here) saw two sweeps where its looks shared one.
 */
const WINDOW_MS = sweepWindowMs(FRESHNESS);
const ROOM_MS = 20_000;
beforeEach(async () => {
  for (let tries = 0; tries < 3; tries++) {
    const clocks = [Date.now(), await bed.env.currentTimeMs()];
    const short = clocks.map((t) => WINDOW_MS - (t % WINDOW_MS)).filter((left) => left < ROOM_MS);
    if (short.length === 0) return;
    await new Promise((r) => setTimeout(r, Math.max(...short) + 100));
  }
});

/** A worker process's activities, against the bed's sandbox. */
const workerProcess = () => createActivities(createProviderClients(bed.sandbox.endpoints));

function runningJobs(count: number, name: string) {
  const jobs = Array.from({ length: count }, (_, i) =>
    bed.sandbox.state.createJob({ name: `${name}-${i}`, totalEpochs: 1000 }),
  );
  expect(jobs.every((j) => bed.sandbox.state.advance(j).status === 'running')).toBe(true);
  return jobs;
}

it("two worker processes' looks within one window make one sweep of the job list between them", () =>
  bed.withWorker(async () => {
    const jobs = runningJobs(150, 'fleet');
    const running = [...bed.sandbox.state.jobs.values()].filter((j) => j.status === 'running').length;
    const [first, second] = [workerProcess(), workerProcess()];
    const start = Date.now();
    const now = await bed.env.currentTimeMs();
    // Each process looks at its half of the jobs, at once, then the second again later in the window.
    const looks = await Promise.all(jobs.map((j, i) => lookAt(i % 2 === 0 ? first : second, j.id, now)));
    const later = await Promise.all(
      jobs.slice(0, 20).map((j, i) => lookAt(i % 2 === 0 ? second : first, j.id, now + 5_000)),
    );
    for (const look of [...looks, ...later]) {
      expect(look.error).toMatchObject({ type: 'JOB_UNCHANGED' });
      expect(look.beat?.latest).toMatchObject({ status: 'running' });
    }
    // One sweep for the fleet: every page of the running jobs (two: 150 and more), once, and no job
    // read by itself. Each process sweeping by itself made two.
    expect(running).toBeGreaterThan(100);
    expect(listReads(start)).toHaveLength(Math.ceil(running / 100));
    expect(jobReads(start)).toHaveLength(0);
    for (const j of jobs) bed.sandbox.state.stopJob(j, false);
  }));

it('while no worker runs the sweep, looks keep waiting; once its run times out the process sweeps by itself', () =>
  bed.withWorker(async () => {
    const [job] = runningJobs(1, 'no-fleet-sweep');
    // A queue whose workers do not run the sweep (none at all here): its run waits, then times out.
    const clients = createProviderClients(bed.sandbox.endpoints);
    const { watchTrainingJob } = watchActivities({
      getJob: {
        tensorone: (id) => clients.tensorone.jobs.get(id),
        marqtune: (id) => clients.marqtune.models.get(id),
      },
      sweeps: fleetJobSweeps(
        jobSweeps((q) => clients.tensorone.jobs.list(q)),
        { lookWaitsMs: 300, runTimeoutMs: 1500 },
      ),
    });
    const taskQueue = `${bed.taskQueue}-unpolled`;
    const now = await bed.env.currentTimeMs();
    const start = Date.now();
    const waiting = await lookAt({ watchTrainingJob }, job!.id, now, { taskQueue });
    // Kept waiting (a poll, not a failed look), nothing seen, nothing read by the look itself.
    expect(waiting.error).toMatchObject({ type: 'PROVIDER_QUEUE_BUSY' });
    expect(waiting.beat?.latest).toBeUndefined();
    expect(listReads(start)).toHaveLength(0);
    // Looks keep waiting until the run times out (1.5 s; later on a loaded machine), then read the
    // process's own sweep.
    const look = await eventually(async () => {
      const next = await lookAt({ watchTrainingJob }, job!.id, now + 1000, { taskQueue });
      return (next.error as { type?: string }).type === 'PROVIDER_QUEUE_BUSY' ? undefined : next;
    }, 30_000);
    expect(look.error).toMatchObject({ type: 'JOB_UNCHANGED' });
    expect(look.beat?.latest).toMatchObject({ status: 'running' });
    expect(listReads(start)).toHaveLength(1);
    bed.sandbox.state.stopJob(job!, false);
  }));

it('a sweep that failed is no empty answer: the look fails, and the next look in the window sweeps again', () =>
  bed.withWorker(async () => {
    const [job] = runningJobs(1, 'failed-sweep');
    const process = workerProcess();
    const now = await bed.env.currentTimeMs();
    bed.sandbox.state.faults = {
      ...bed.sandbox.state.faults,
      errorRate: 1,
      errorStatus: 503,
      routePattern: '/training/jobs$',
    };
    // A freshness of its own: a window no earlier test swept.
    const plan = { freshnessMs: 90_000 };
    const failed = await lookAt(process, job!.id, now, { plan });
    bed.sandbox.state.faults = { ...bed.sandbox.state.faults, errorRate: 0, routePattern: undefined };
    // Failed like a failed read of the list (retried by the server), with nothing seen.
    expect(failed.error).toBeInstanceOf(ApplicationFailure);
    expect(failed.error).not.toMatchObject({ type: 'JOB_UNCHANGED' });
    expect(failed.beat?.latest).toBeUndefined();
    const start = Date.now();
    const again = await lookAt(process, job!.id, now + 1000, { plan });
    expect(again.error).toMatchObject({ type: 'JOB_UNCHANGED' });
    expect(again.beat?.latest).toMatchObject({ status: 'running' });
    expect(listReads(start).length).toBeGreaterThan(0);
    expect(jobReads(start)).toHaveLength(0);
    bed.sandbox.state.stopJob(job!, false);
  }));

it('more running jobs than one result carries: the sweep stops at its first page and each process sweeps by itself', () =>
  bed.withWorker(async () => {
    const jobs = runningJobs(MAX_SWEPT_JOBS + 1, 'too-many');
    const running = [...bed.sandbox.state.jobs.values()].filter((j) => j.status === 'running').length;
    const now = await bed.env.currentTimeMs();
    const start = Date.now();
    // A freshness of its own: a window no earlier test swept.
    const look = await lookAt(workerProcess(), jobs[0]!.id, now, { plan: { freshnessMs: 120_000 } });
    expect(look.error).toMatchObject({ type: 'JOB_UNCHANGED' });
    expect(look.beat?.latest).toMatchObject({ status: 'running' });
    // The fleet's first page (its total says too many), then the process's own sweep, every page.
    expect(listReads(start)).toHaveLength(1 + Math.ceil(running / 100));
    expect(jobReads(start)).toHaveLength(0);
    for (const j of jobs) bed.sandbox.state.stopJob(j, false);
  }));

it('the pending jobs are swept only in a window whose looks expect a waiting job, however many processes look', () =>
  bed.withWorker(async () => {
    const jobs = runningJobs(6, 'pending-wanted');
    const byStatus = (ms: number) => {
      const reads = listReads(ms).map((r) => r.origin ?? '');
      return {
        pending: reads.filter((o) => o.includes('--pending--')).length,
        running: reads.filter((o) => o.includes('--running--')).length,
      };
    };
    // The same looks, made by one process, then (on windows of their own) shared by two: first looks
    // at jobs of no known status in one window, half by each process; the next window's looks (the jobs
    // known running) by the first process only; the window after by the second only; then looks that
    // expect their jobs pending, half by each.
    async function looksOver(processes: ReturnType<typeof workerProcess>[], freshnessMs: number) {
      const windowMs = Math.floor(freshnessMs * 0.7);
      const firstWindow = (Math.floor((await bed.env.currentTimeMs()) / windowMs) + 1) * windowMs;
      const at = (window: number) => firstWindow + window * windowMs + 1000;
      const byProcess = (k: number) => processes[k % processes.length]!;
      const start = Date.now();
      const first = await Promise.all(
        jobs.map((j, i) =>
          lookAt(byProcess(i), j.id, at(0), { plan: { freshnessMs, knownStatus: undefined } }),
        ),
      );
      const next = await Promise.all(
        jobs.map((j) => lookAt(byProcess(0), j.id, at(1), { plan: { freshnessMs } })),
      );
      const after = await Promise.all(
        jobs.map((j) => lookAt(byProcess(1), j.id, at(2), { plan: { freshnessMs } })),
      );
      // Looks that expect their jobs still waiting (they have started since) want the pending jobs.
      const waited = await Promise.all(
        jobs.map((j, i) =>
          lookAt(byProcess(i), j.id, at(3), { plan: { freshnessMs, knownStatus: 'pending' } }),
        ),
      );
      // A first look (or one that finds a new status) reports what it found; the others look again later.
      for (const look of [...first, ...next, ...after, ...waited])
        expect(look.result?.job.status ?? look.beat?.latest?.status).toBe('running');
      return { ...byStatus(start), jobReads: jobReads(start).length };
    }
    const one = await looksOver([workerProcess()], 140_000);
    const two = await looksOver([workerProcess(), workerProcess()], 150_000);
    // The running jobs once a window; the pending jobs once, for the looks that expected a waiting job
    // (the jobs of no known status were found among the running ones). A second process adds no sweep.
    expect(two).toEqual(one);
    expect(one).toEqual({ pending: 1, running: 4, jobReads: 0 });
    for (const j of jobs) bed.sandbox.state.stopJob(j, false);
  }));

it('with looks interleaved between two processes, every window with a look has its own sweep and no look reads an earlier window’s', () =>
  bed.withWorker(async () => {
    const jobs = runningJobs(3, 'interleaved');
    /** A process's sweeps of the job list as its watch asks for them, on the bed's task queue. */
    const processSweeps = () => {
      const clients = createProviderClients(bed.sandbox.endpoints);
      return fleetJobSweeps(jobSweeps((q) => clients.tensorone.jobs.list(q)));
    };
    // Looks at these points of consecutive windows (in windows), alternating between the processes: each
    // process's newest sweep is still younger than a window when the other process looks in the next
    // window (at 1.8 and 2.1), so a process that serves a look from the sweep it holds leaves window 2
    // without a sweep, and the look at 2.1 reads data begun before its window did.
    const lookAt = [0.9, 1.2, 1.8, 2.1, 3.05, 3.5, 3.9];
    async function looksOver(processes: ReturnType<typeof processSweeps>[], freshnessMs: number) {
      const windowMs = Math.floor(freshnessMs * 0.7);
      const firstWindow = (Math.floor((await bed.env.currentTimeMs()) / windowMs) + 1) * windowMs;
      const start = Date.now();
      const served: { nowMs: number; takenAtMs: number }[] = [];
      for (const [i, at] of lookAt.entries()) {
        const nowMs = firstWindow + Math.round(at * windowMs);
        const env = new MockActivityEnvironment(
          { taskQueue: bed.taskQueue, attempt: 1 },
          { client: workerClient() },
        );
        const sweep: Sweep = await env.run(() =>
          processes[i % processes.length]!.fresh(nowMs, windowMs, 'running'),
        );
        expect([...sweep.jobs.keys()]).toEqual(expect.arrayContaining(jobs.map((j) => j.id)));
        served.push({ nowMs, takenAtMs: sweep.takenAtMs });
      }
      const windowOf = (ms: number) => Math.floor((ms - firstWindow) / windowMs);
      // The windows the provider's list was read for, by the sweep run's id (one page each here).
      const ofThisWindowLength = new RegExp(`--running--${windowMs}--(\\d+)/`);
      const sweptWindows = listReads(start).flatMap((r) => {
        const windowStart = ofThisWindowLength.exec(r.origin ?? '')?.[1];
        return windowStart === undefined ? [] : [windowOf(Number(windowStart))];
      });
      return { served, windowOf, sweptWindows, windowMs, freshnessMs };
    }
    const one = await looksOver([processSweeps()], 160_000);
    const two = await looksOver([processSweeps(), processSweeps()], 170_000);
    for (const { served, windowOf, sweptWindows, windowMs, freshnessMs } of [two, one]) {
      // Every window with a look has its sweep, once, whichever process looked first in it.
      expect(sweptWindows).toEqual([0, 1, 2, 3]);
      // Every look reads a sweep begun in its own window: younger than the window, within the freshness.
      for (const { nowMs, takenAtMs } of served) {
        expect(windowOf(takenAtMs)).toBe(windowOf(nowMs));
        expect(nowMs - takenAtMs).toBeLessThan(windowMs);
        expect(windowMs).toBeLessThan(freshnessMs);
      }
    }
    // A second process adds no request.
    expect(two.sweptWindows).toEqual(one.sweptWindows);
    for (const j of jobs) bed.sandbox.state.stopJob(j, false);
  }));
