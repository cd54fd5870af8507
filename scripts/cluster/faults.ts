/**
 * Faults of the cluster itself, for `npm run test:cluster -- --faults`: the Temporal server SIGKILLed
 * and started again, PostgreSQL restarted in immediate mode (no checkpoint, as after a crash), and a
 * worker rolled to a freshly built bundle. Each answers how long the cluster could not serve a
 * workflow start and a visibility list — what a client would have seen fail.
 */
import type { Client } from '@temporalio/client';
import { engineCacheRoot } from '../../engine';
import { ensureClusterBinaries } from './binaries';
import { postgresPid, startPostgres, stopPostgresImmediately, type Postgres } from './postgres';
import { sleep } from './processes';
import type { ClusterSettings } from './settings';
import { serverPid, startServer } from './temporal-server';

export interface FaultOutcome {
  fault: string;
  /** What the run had done when the fault struck. */
  at: string;
  /** From the fault until the server answered a namespace read and a visibility list again. */
  unavailableSeconds: number;
}

/** Seconds until the cluster answers a namespace read and a visibility list, from `since`. */
async function secondsUntilServing(client: Client, namespace: string, since: number): Promise<number> {
  for (;;) {
    try {
      await client.workflowService.describeNamespace({ namespace });
      await client.workflowService.countWorkflowExecutions({ namespace, query: '' });
      return Math.round((Date.now() - since) / 100) / 10;
    } catch {
      if (Date.now() - since > 5 * 60_000) return Infinity;
      await sleep(250);
    }
  }
}

/** SIGKILL the server process (every role) and start it again at once, as a supervisor would. */
export async function killAndRestartServer(
  client: Client,
  settings: ClusterSettings,
  repo: string,
  at: string,
  say: (line: string) => void,
): Promise<FaultOutcome> {
  const pid = serverPid(settings);
  if (!pid) throw new Error('the Temporal server is not running');
  const since = Date.now();
  process.kill(pid, 'SIGKILL');
  say(`SIGKILL Temporal server (pid ${pid}): ${at}`);
  await sleep(1000);
  const binaries = await ensureClusterBinaries(engineCacheRoot(), say);
  await startServer(binaries, settings, repo);
  return {
    fault: 'Temporal server SIGKILLed, started again',
    at,
    unavailableSeconds: await secondsUntilServing(client, settings.namespace, since),
  };
}

/** `pg_ctl restart -m immediate`: PostgreSQL stops without a checkpoint and recovers from its WAL. */
export async function restartPostgresImmediately(
  client: Client,
  pg: Postgres,
  settings: ClusterSettings,
  at: string,
  say: (line: string) => void,
): Promise<FaultOutcome> {
  if (!postgresPid(pg)) throw new Error('PostgreSQL is not running');
  const since = Date.now();
  say(`PostgreSQL restart -m immediate: ${at}`);
  stopPostgresImmediately(pg);
  startPostgres(pg, settings);
  return {
    fault: 'PostgreSQL restarted in immediate mode',
    at,
    unavailableSeconds: await secondsUntilServing(client, settings.namespace, since),
  };
}
