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
import fs from 'node:fs';
import os from 'node:os';
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
let logs = '';

/** The worker's distinct warnings and errors (a failing workflow task, a nondeterminism error), for a failed run. */
function workerTrouble(dir: string): string {
  let text = '';
  try {
    text = fs.readFileSync(path.join(dir, 'worker.log'), 'utf8');
  } catch {
    return '(no worker log kept)';
  }
  const seen = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!/WARN|ERROR|Nondeterminism/.test(line)) continue;
    const gist = line
      .replace(/^\S+\s+/, '')
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…')
      .slice(0, 240);
    seen.set(gist, (seen.get(gist) ?? 0) + 1);
  }
  return [...seen]
    .slice(0, 15)
    .map(([gist, n]) => `${n} × ${gist}`)
    .join('\n');
}

/** The bounded run on one sandbox profile, asserted as a user would judge it (one file per profile, so jest runs both at once). */
export function boundedChaosSuite(profile: 'extended' | 'documented'): void {
  describe(`bounded chaos run (${profile} profile)`, () => {
    beforeAll(async () => {
      output = '';
      // The worker's, the sandbox's and the CLI's logs, kept for a failed run to be looked into.
      logs = fs.mkdtempSync(path.join(os.tmpdir(), `ftp-chaos-logs-${profile}-`));
      const code = await new Promise<number>((resolve) => {
        run = spawn(
          process.execPath,
          ['--import', 'tsx', 'chaos/run.ts', '--bounded', '--json', '--profile', profile, '--logs', logs],
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
      const unfinished = Object.keys(summary?.outcomes ?? {}).some((o) => o.startsWith('unfinished'));
      if (!summary || unfinished)
        process.stdout.write(
          `chaos logs (${profile}): ${logs}\nworker warnings and errors:\n${workerTrouble(logs)}\n`,
        );
      else fs.rmSync(logs, { recursive: true, force: true });
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
