import { loadReportData, renderReport } from '../../src/cli/report';
import { pipelineWorkflowId, type PipelineInput } from '../../src/domain/pipeline-input';
import { cancelUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { protectionRecordsQuery, protectionRegistryId } from '../../src/workflows/protection/contract';
import { sweepTrialsQuery } from '../../src/workflows/sweep/contract';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import type { SimJob } from '../../sandbox/state';
import { advanceUntil, startPipeline, useWorkflowTestBed } from '../harness/workflow-env';

const bed = useWorkflowTestBed({});

const LEARNING_RATES = [1e-5, 1e-4, 1e-3, 1e-2];

/** A sweep of the learning rate over 6-epoch trials, halving at epochs 1 and 2. */
function sweepInput(name: string, sweep: Record<string, unknown>): PipelineInput {
  return pipelineInput(name, {
    train: {
      ...tensoroneTrain(),
      sweep: {
        parameters: { 'training.learning_rate': LEARNING_RATES },
        halving: { rungs: [1, 2], keep: 0.5 },
        ...sweep,
      },
    } as PipelineInput['train'],
  });
}

/** The pipeline's trial jobs in the sandbox, by trial index (their names carry it). */
function trialJobs(name: string): Map<number, SimJob> {
  const out = new Map<number, SimJob>();
  for (const job of bed.sandbox.state.jobs.values()) {
    const m = new RegExp(`^pipeline-${name}--r[0-9a-f]{12}--trial-(\\d+)-`).exec(job.name);
    if (m) out.set(Number(m[1]), job);
  }
  return out;
}

/** A trial's best validation loss up to an epoch, from every checkpoint its job reported. */
function bestUpTo(job: SimJob, epoch: number): number {
  const losses = bed.sandbox.state.checkpoints
    .everOfJob(job.id)
    .filter((c) => c.type === 'automatic' && c.epoch <= epoch)
    .map((c) => c.metrics.validationLoss);
  return Math.min(...losses);
}

/** A trial's validation loss at one epoch, as its job reported it. */
function valueAt(job: SimJob, epoch: number): number {
  return bed.sandbox.state.checkpoints
    .everOfJob(job.id)
    .find((c) => c.type === 'automatic' && c.epoch === epoch)!.metrics.validationLoss;
}

describe('a sweep with successive halving', () => {
  it('one trial at a time: a trial at a rung waits paused until it is sure to be among the best half of all trials there, each rung stops exactly the others, and the best survivor is deployed once', async () => {
    const result = await bed.withWorker(async () =>
      (await startPipeline(bed, sweepInput('sweep-rungs', { parallel: 1 }))).result(),
    );
    expect(result.outcome).toBe('deployed');
    const jobs = trialJobs('sweep-rungs');
    expect([...jobs.keys()].sort()).toEqual([0, 1, 2, 3]);
    // Each trial trained its own learning rate: every one of the grid, once.
    const trained = [...jobs].map(([i, job]) => {
      const lr = (job.config.training as Record<string, unknown>).learning_rate;
      expect(result.sweep?.trials[i].params).toEqual({ 'training.learning_rate': lr });
      return lr;
    });
    expect(trained.sort()).toEqual([...LEARNING_RATES].sort());

    // Successive halving by hand: at each rung the best half of every trial that reached it trains on.
    let alive = [0, 1, 2, 3];
    const stoppedAt = new Map<number, number>();
    for (const rung of [1, 2]) {
      const ranked = [...alive].sort((a, b) => bestUpTo(jobs.get(a)!, rung) - bestUpTo(jobs.get(b)!, rung));
      const kept = Math.max(1, Math.floor(alive.length / 2));
      for (const i of ranked.slice(kept)) stoppedAt.set(i, rung);
      alive = ranked.slice(0, kept);
    }
    const expectedStopped = [...stoppedAt.keys()].sort();
    expect(expectedStopped).toHaveLength(3);
    for (const [i, job] of jobs) {
      const rung = stoppedAt.get(i);
      if (rung !== undefined) {
        // Held at its rung, then stopped there for good: no epoch past it was trained.
        expect(job.status).toBe('stopped');
        expect(job.completedEpochs).toBe(rung);
        expect(bed.sandbox.state.gpuHours(job)).toBeLessThan(rung + 0.5);
        expect(bed.sandbox.state.checkpoints.everOfJob(job.id).some((c) => c.type === 'final')).toBe(true);
      } else expect(job.status).toBe('completed');
    }
    // The first trial at rung 1 had 3 still to come and 2 places: it was paused there (a checkpoint
    // saved at epoch 1), whatever its verdict.
    expect(
      bed.sandbox.state.checkpoints
        .everOfJob(jobs.get(0)!.id)
        .some((c) => c.type === 'final' && c.epoch === 1),
    ).toBe(true);
    // 4 trials × 1 epoch, 2 × 1 more, 1 × 4 more: what synchronous halving pays, and nothing for waiting
    // (each stop lands within a fraction of an epoch).
    const hours = [...jobs.values()].reduce((sum, j) => sum + bed.sandbox.state.gpuHours(j), 0);
    expect(hours).toBeGreaterThanOrEqual(10);
    expect(hours).toBeLessThan(11);

    // The deployed checkpoint is the best of the trials that ran to the end, and it was deployed once.
    const survivors = [...jobs].filter(([i]) => !expectedStopped.includes(i));
    const best = survivors.map(([, job]) => bestUpTo(job, 6));
    const winner = survivors[best.indexOf(Math.min(...best))][1];
    expect(result.jobId).toBe(winner.id);
    expect(result.checkpoint?.value).toBe(Math.min(...best));
    const endpoints = [...bed.sandbox.state.endpoints.values()].filter((e) =>
      e.name.startsWith('pipeline-sweep-rungs--'),
    );
    expect(endpoints).toHaveLength(1);
    expect(bed.sandbox.state.duplicates().jobs).toEqual([]);

    // The sweep's table says the same.
    const table = result.sweep!;
    expect(table.trials.filter((t) => t.state === 'rung-stopped').map((t) => t.index)).toEqual(
      expectedStopped,
    );
    expect(table.winner).toBe([...jobs].find(([, j]) => j.id === winner.id)![0]);
    const spent = [...jobs.values()].reduce((s, j) => s + bed.sandbox.state.cost(j), 0);
    expect(result.cost).toBeCloseTo(spent, 1);

    // The report draws every trial's curve (each epoch it trained), the rungs, and a cross where each stopped.
    const report = await loadReportData(bed.env.client, pipelineWorkflowId('sweep-rungs'));
    for (const { row, points } of report.sweep!.trials) {
      const job = jobs.get(row.index)!;
      expect(points.map((p) => p.epoch)).toEqual(
        Array.from({ length: job.completedEpochs }, (_, e) => e + 1),
      );
      expect(points.map((p) => p.value)).toEqual(points.map((p) => valueAt(job, p.epoch)));
    }
    const html = renderReport(report);
    expect(html.match(/<path class="trial-curve/g)).toHaveLength(4);
    expect(html.match(/<line class="rung"/g)).toHaveLength(2);
    expect(
      [...html.matchAll(/<path class="trial-stopped" data-trial="(\d+)"/g)].map((m) => Number(m[1])),
    ).toEqual(expectedStopped);
    expect(html).toContain(`<path class="trial-curve winner" data-trial="${table.winner}"`);
  });

  it('cancel mid-sweep stops every trial that trains, saving a checkpoint, starts no other and deploys nothing', async () => {
    const outcome = await bed.withWorker(async () => {
      const handle = await startPipeline(
        bed,
        sweepInput('sweep-cancel', { parallel: 2, halving: undefined }),
      );
      // Both trials of the first pair train.
      await advanceUntil(bed.env, async () => {
        const table = await handle.query(sweepTrialsQuery);
        return (table?.trials.filter((t) => t.state === 'training' && (t.epoch ?? 0) >= 1).length ?? 0) === 2;
      });
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
      const result = await handle.result();
      return { result, table: await handle.query(sweepTrialsQuery) };
    });
    expect(outcome.result.outcome).toBe('cancelled');
    const jobs = trialJobs('sweep-cancel');
    expect([...jobs.keys()].sort()).toEqual([0, 1]);
    for (const job of jobs.values()) {
      expect(job.status).toBe('stopped');
      expect(bed.sandbox.state.checkpoints.everOfJob(job.id).some((c) => c.type === 'final')).toBe(true);
    }
    expect(outcome.table?.trials.map((t) => t.state)).toEqual([
      'cancelled',
      'cancelled',
      'not-started',
      'not-started',
    ]);
    expect(outcome.result.stoppedJobs?.sort()).toEqual([...jobs.values()].map((j) => j.id).sort());
    expect(
      [...bed.sandbox.state.endpoints.values()].filter((e) => e.name.startsWith('pipeline-sweep-cancel--')),
    ).toEqual([]);
  });

  it('cancel mid-sweep with a trial resumed from its pause and others paused or stopped: every job ends stopped with a checkpoint, and nothing deploys', async () => {
    const outcome = await bed.withWorker(async () => {
      const handle = await startPipeline(bed, sweepInput('sweep-cancel-resumed', { parallel: 1 }));
      // A trial promoted at rung 1 after its pause trains again (its job resumed under a new supervisor).
      const resumed = await advanceUntil(bed.env, async () => {
        const table = await handle.query(sweepTrialsQuery);
        return table?.trials.find((t) => {
          const job = t.jobId ? bed.sandbox.state.jobs.get(t.jobId) : undefined;
          const paused =
            job && bed.sandbox.state.checkpoints.everOfJob(job.id).some((c) => c.type === 'final');
          return t.state === 'training' && job?.status === 'running' && paused;
        });
      });
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
      const result = await handle.result();
      return { result, resumed, table: await handle.query(sweepTrialsQuery) };
    });
    expect(outcome.result.outcome).toBe('cancelled');
    const jobs = trialJobs('sweep-cancel-resumed');
    // A trial sure of its place is promoted before the last one starts: 3 or 4 jobs, each one trial's.
    expect(jobs.size).toBeGreaterThanOrEqual(3);
    for (const row of outcome.table!.trials)
      expect(row.state).toBe(
        !jobs.has(row.index) ? 'not-started' : row.rungs.some((g) => g.stop) ? 'rung-stopped' : 'cancelled',
      );
    const resumedJob = jobs.get(outcome.resumed.index)!;
    // Paused at its rung, resumed (it trained past it), then stopped by the cancel, saving a checkpoint.
    expect(bed.sandbox.state.gpuHours(resumedJob)).toBeGreaterThan(1);
    expect(bed.sandbox.state.checkpoints.everOfJob(resumedJob.id).some((c) => c.type === 'final')).toBe(true);
    for (const job of jobs.values()) expect(job.status).toBe('stopped');
    expect(outcome.table?.trials[outcome.resumed.index].state).toBe('cancelled');
    // Cancelled without a best of their own, the trials keep in the table the best seen at their rungs.
    for (const row of outcome.table!.trials.filter((t) => t.state === 'cancelled')) {
      expect(row.best).toBeUndefined();
      expect(row.bestSeen).toBe(Math.min(...row.rungs.map((g) => g.value)));
    }
    expect(
      [...bed.sandbox.state.endpoints.values()].filter((e) =>
        e.name.startsWith('pipeline-sweep-cancel-resumed--'),
      ),
    ).toEqual([]);
    expect(bed.sandbox.state.duplicates().jobs).toEqual([]);
  });

  it("the sweep's budget stops every trial that trains, saving a checkpoint, starts no other, and deploys the best of what was stopped", async () => {
    const result = await bed.withWorker(async () =>
      (
        await startPipeline(bed, sweepInput('sweep-budget', { parallel: 2, halving: undefined, maxCost: 30 }))
      ).result(),
    );
    expect(result.outcome).toBe('deployed');
    const jobs = trialJobs('sweep-budget');
    // Two trials cost about $4.25 an epoch each: both stop before their 6 epochs, the other two never start.
    expect([...jobs.keys()].sort()).toEqual([0, 1]);
    for (const job of jobs.values()) {
      expect(job.status).toBe('stopped');
      expect(job.completedEpochs).toBeLessThan(6);
      expect(bed.sandbox.state.checkpoints.everOfJob(job.id).some((c) => c.type === 'final')).toBe(true);
    }
    const spent = [...jobs.values()].reduce((sum, j) => sum + bed.sandbox.state.cost(j), 0);
    expect(spent).toBeGreaterThanOrEqual(30);
    // Noticed within a look (5 minutes of two trials: about $4.25) of reaching it.
    expect(spent).toBeLessThan(30 + 5);
    expect(result.sweep?.budgetReached).toBe(true);
    expect(result.sweep?.trials.map((t) => t.state)).toEqual([
      'budget-stopped',
      'budget-stopped',
      'not-started',
      'not-started',
    ]);
    const best = Math.min(...[...jobs.values()].map((j) => bestUpTo(j, 6)));
    expect(result.checkpoint?.value).toBe(best);
    expect(result.budgetStopped).toBe(true);
  });

  it("each ended trial's best is held from cleanup while the sweep runs; once it names its winner the others' are released and the winner's stays", async () => {
    const input = pipelineInput('sweep-holds', {
      ...sweepInput('sweep-holds', { parallel: 1 }),
      gate: { approval: { required: true, timeout: '24h', onTimeout: 'reject' } },
    });
    const registry = () => bed.env.client.workflow.getHandle(protectionRegistryId(bed.taskQueue));
    const heldBy = async (workflowId: string) =>
      (await registry().query(protectionRecordsQuery))
        .filter((r) => r.kind === 'candidate' && r.workflowId === workflowId)
        .map((r) => r.checkpointId)
        .sort();
    const seen = await bed.withWorker(async () => {
      const handle = await startPipeline(bed, input);
      // Mid-sweep: a trial has ended, another still trains.
      const during = await advanceUntil(bed.env, async () => {
        const table = await handle.query(sweepTrialsQuery);
        const ended = table?.trials.filter((t) => t.checkpointId) ?? [];
        const training = table?.trials.some((t) => t.state === 'training');
        return ended.length > 0 && training ? ended.map((t) => t.checkpointId!) : undefined;
      });
      const heldDuring = await heldBy(handle.workflowId);
      const waiting = await advanceUntil(bed.env, async () => {
        const s = await handle.query(statusQuery);
        return s.phase === 'awaiting-approval' ? s : undefined;
      });
      const heldAfter = await heldBy(handle.workflowId);
      await handle.cancel();
      return { during, heldDuring, waiting, heldAfter };
    });
    // While the sweep runs every ended trial's best is a candidate of the pipeline's run.
    expect(seen.heldDuring).toEqual(expect.arrayContaining(seen.during));
    const table = seen.waiting.sweep!;
    const winner = table.trials[table.winner!];
    const losers = table.trials.filter((t) => t.index !== winner.index && t.checkpointId);
    expect(losers.length).toBeGreaterThan(0);
    // Once the winner is named, only its best (the candidate awaiting approval) is held.
    expect(seen.waiting.candidate?.checkpointId).toBe(winner.checkpointId);
    expect(seen.heldAfter).toEqual([winner.checkpointId]);
  });
});
