import fs from 'node:fs';
import lockfile from 'proper-lockfile';

/**
 * Runs `work` while holding a cross-process lock on `dir`, so two test processes asking for the same
 * engine at once build it once. The lock is refreshed while held and taken over when its holder died.
 */
export async function withDirLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const release = await lockfile.lock(dir, {
    lockfilePath: `${dir}.lock`,
    stale: 30_000,
    update: 10_000,
    // A Go build takes minutes on two cores; waiters poll every 2 s for up to 40 minutes.
    retries: { retries: 1200, factor: 1, minTimeout: 2_000, maxTimeout: 2_000 },
  });
  try {
    return await work();
  } finally {
    await release();
  }
}
