import { jobSweeps } from '../../src/activities/job-sweep';
import type { JobStatus, TrainingJob } from '../../src/domain/types';

// One worker process's own sweeps of the job list (the fleet's sweep turned off): which statuses the
// provider is asked to list, look by look.
const W = 42_000;

function processSweeps(jobs: TrainingJob[]) {
  const asked: string[] = [];
  const sweeps = jobSweeps(async (query) => {
    asked.push(query.status ?? 'any');
    return { jobs: jobs.filter((j) => j.status === query.status), hasMore: false };
  });
  const look = async (nowMs: number, expected: JobStatus | undefined) => {
    const before = asked.length;
    const sweep = await sweeps.fresh(nowMs, W, expected);
    return { listed: asked.slice(before), seen: [...sweep.jobs.keys()] };
  };
  return { look, asked };
}

const running = { id: 'job_running', status: 'running' } as TrainingJob;
const waiting = { id: 'job_waiting', status: 'pending' } as TrainingJob;

describe('the pending jobs are swept for the look that expects a waiting job, and only then', () => {
  it('a look expecting a waiting job sweeps them in its own window; a later window’s looks do not', async () => {
    const { look } = processSweeps([running, waiting]);
    expect(await look(1_000, 'running')).toEqual({ listed: ['running'], seen: ['job_running'] });
    // Its job shows in the sweep it reads: no read of the job by itself.
    const expectsWaiting = await look(2_000, 'pending');
    expect(expectsWaiting.listed).toEqual(['pending']);
    expect(expectsWaiting.seen).toEqual(expect.arrayContaining(['job_running', 'job_waiting']));
    // Every look of the next window knows its job running: nobody needs the pending jobs there.
    expect(await look(1_000 + W, 'running')).toEqual({ listed: ['running'], seen: ['job_running'] });
    expect(await look(1_500 + W, 'running')).toEqual({ listed: [], seen: ['job_running'] });
  });

  it('looks served meanwhile carry no wish into a later sweep', async () => {
    const { look, asked } = processSweeps([running]);
    await look(1_000, undefined);
    for (const at of [5_000, 10_000, 20_000]) await look(at, 'pending');
    await look(1_000 + W, 'running');
    await look(1_000 + 2 * W, 'running');
    expect(asked).toEqual(['running', 'pending', 'running', 'running']);
  });

  it('a pending sweep still young serves the next look that expects a waiting job', async () => {
    const { look } = processSweeps([running, waiting]);
    await look(1_000, 'queued');
    expect((await look(1_000 + W - 1, 'pending')).listed).toEqual([]);
    expect((await look(1_000 + W, 'pending')).listed).toEqual(['running', 'pending']);
  });
});
