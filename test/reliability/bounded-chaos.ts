/**
 * The bounded form of `npm run test:chaos`: a few pipelines on their own dev server (persisted to a
 * file, restarted once), a real worker process SIGKILLed six times (aimed at a create, a deploy and a
 * cleanup deletion, and at random), 20 % 5xx, 429 + Retry-After, resets, lost create responses, a
 * job that fails once, one gateway HTML page and one spurious "completed"; the operator cancels two
 * pipelines while their job / endpoint create is answered, pins a checkpoint and approves a gated
 * pipeline, while a cleanup Schedule fires every 15 s — on both sandbox profiles (`documented`: only the
 * routes the provider documents promise). The full run is described in docs/reliability.md, "The chaos run"
 * (its runs: bench/RESULTS.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

interface ChaosSummary {
  pipelines: number;
  faults: Record<string, number>;
  kills: Record<string, number>;
  serverRestarts: number;
  outcomes: Record<string, number>;
  resumedAfterFailure: number;
  expectedResumes: number;
  duplicateJobs: number;
  duplicateEndpoints: number;
  unreportedDuplicates: number;
  undocumentedAskedTooOften: number;
  wronglyDeleted: number;
  retryAfterViolations: number;
  secretLeaks: number;
  outcomeMismatches: number;
  cancels: number;
  cancelsInCreate: number;
  expectedCancels: number;
  pins: number;
  approvals: number;
  scheduledCleanups: number;
  wrongModels: number;
  wrongModelDetails: string[];
  slotProblems: string[];
  orphanedResources: number;
  orphans: string[];
  deletedInUse: number;
  deletedInUseIds: string[];
}

const repo = path.resolve(__dirname, '../..');
let summary: ChaosSummary;
let output = '';
let run: ChildProcess | undefined;

/** The bounded run on one sandbox profile, asserted as a user would judge it (one file per profile, so jest runs both at once). */
export function boundedChaosSuite(profile: 'extended' | 'documented'): void {
  describe(`bounded chaos run (${profile} profile)`, () => {
    beforeAll(async () => {
      output = '';
      const code = await new Promise<number>((resolve) => {
        run = spawn(
          process.execPath,
          ['--import', 'tsx', 'chaos/run.ts', '--bounded', '--json', '--profile', profile],
          {
            cwd: repo,
            env: { ...process.env, TEMPORAL_ADDRESS: '' },
            detached: true, // its own process group, so the servers and worker it starts can be stopped with it
          },
        );
        run.stdout!.on('data', (d: Buffer) => (output += d.toString()));
        run.stderr!.on('data', (d: Buffer) => (output += d.toString()));
        run.on('close', (c) => resolve(c ?? 1));
      });
      const line = output.split('\n').find((l) => l.startsWith('CHAOS_SUMMARY '));
      if (!line) throw new Error(`chaos run printed no summary (exit ${code}):\n${output}`);
      summary = JSON.parse(line.slice('CHAOS_SUMMARY '.length)) as ChaosSummary;
      // The run's table, per profile, for whoever reads the test log.
      process.stdout.write(
        `${output
          .split('\n')
          .filter((l) => l.startsWith('|') || l.includes(' unfinished: ') || l.includes('no cancel for'))
          .join('\n')}\n`,
      );
    }, 12 * 60_000); // the run bounds itself: kills within 3 min, then 6 min for every pipeline to end

    // If jest gives up first, the run (and the dev server and worker it started) must not outlive it.
    afterAll(() => {
      // A run cut off by the hook's timeout printed no summary: show where it was.
      if (!output.includes('CHAOS_SUMMARY '))
        process.stdout.write(`chaos run output so far:\n${output.slice(-6000)}\n`);
      if (run?.pid && run.exitCode === null) process.kill(-run.pid, 'SIGKILL');
    });

    it('deploys every pipeline despite kills, a server restart and provider faults; the cancelled ones end cancelled', () => {
      expect(summary.expectedCancels).toBe(2);
      expect(summary.outcomes).toEqual({
        deployed: summary.pipelines - summary.expectedCancels,
        cancelled: summary.expectedCancels,
      });
      expect(summary.outcomeMismatches).toBe(0);
      expect(Object.values(summary.kills).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(6);
      expect(summary.serverRestarts).toBe(1);
      expect(summary.faults.serverError).toBeGreaterThan(0);
    });

    it('resumes the job that failed at an epoch', () => {
      expect(summary.expectedResumes).toBeGreaterThan(0);
      expect(summary.resumedAfterFailure).toBe(summary.expectedResumes);
    });

    it('creates no job twice, reports every deployment it could not avoid duplicating, deletes nothing protected', () => {
      expect(summary.duplicateJobs).toBe(0);
      // With the lookup routes there is no duplicate at all; without them, none goes unreported.
      if (profile === 'extended') expect(summary.duplicateEndpoints).toBe(0);
      expect(summary.unreportedDuplicates).toBe(0);
      expect(summary.wronglyDeleted).toBe(0);
    });

    it('cancels aimed at a job create and an endpoint create land while the create is answered and leave nothing running', () => {
      expect(summary.cancels).toBe(summary.expectedCancels);
      expect(summary.cancelsInCreate).toBe(summary.expectedCancels);
      expect(summary.orphans).toEqual([]);
      expect(summary.orphanedResources).toBe(0);
    });

    it('one gateway HTML page and one spurious "completed" per run, and every pipeline serves the checkpoint it reports from its serving slot', () => {
      expect(summary.faults.htmlAnswer).toBe(1);
      expect(summary.faults.spuriousStatus).toBe(1);
      expect(summary.wrongModelDetails).toEqual([]);
      expect(summary.wrongModels).toBe(0);
      // Each deployment is its name's champion, promoted once, and still deployed (kills aim at it too).
      expect(summary.slotProblems).toEqual([]);
    });

    it('a cleanup Schedule firing during the run, with pins and an approval in flight, deletes no checkpoint in use', () => {
      expect(summary.scheduledCleanups).toBeGreaterThanOrEqual(2);
      expect(summary.pins).toBeGreaterThanOrEqual(1);
      expect(summary.approvals).toBeGreaterThanOrEqual(1);
      expect(summary.deletedInUseIds).toEqual([]);
      expect(summary.deletedInUse).toBe(0);
    });

    it('never calls earlier than Retry-After allowed, asks an undocumented route once per worker process, leaks no secret', () => {
      expect(summary.retryAfterViolations).toBe(0);
      expect(summary.undocumentedAskedTooOften).toBe(0);
      expect(summary.secretLeaks).toBe(0);
    });
  });
}
