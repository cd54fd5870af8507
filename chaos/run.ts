/**
 * `npm run test:chaos [-- --pipelines N --kills K]`: many pipelines on the dev server (persisted to a
 * database file), with real worker processes killed by SIGKILL at random and restarted, one restart of
 * the server itself, and provider faults from the sandbox. Then it checks every pipeline's end state,
 * duplicates, protected checkpoints, Retry-After timing and secrets, and prints one table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { failureCause } from '../src/cli/follow';
import { ensureEngines } from '../src/engine';
import { startSandbox } from '../src/sandbox/server';
import type { PipelineResult } from '../src/workflows/definitions';
import { benchHeader, table } from '../bench/report';
import { pipelineInput, tensoroneTrain } from '../test/fixtures/pipelines';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PIPELINES = arg('pipelines', 12);
const KILLS = arg('kills', 20);
const KEYS = {
  tensorone: 'chaos-t1-key-5f1e9a0c2b',
  tensormesh: 'chaos-tm-key-77aa31c9e0',
  marqtune: 'chaos-mq-key-0c9d8e7f6a',
};
const repo = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-chaos-'));
  const dbFilename = path.join(dir, 'temporal.db');
  const port = 17000 + Math.floor(Math.random() * 2000);
  const { devServer } = await ensureEngines({ testServer: false });
  const startServer = () =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: devServer! },
        port,
        uiPort: port + 1000,
        dbFilename,
        log: { format: 'pretty', level: 'error' },
      },
    });
  let server = await startServer();
  const sandboxLog: string[] = [];
  const sandbox = await startSandbox({
    epochMs: 400,
    queueMs: 200,
    deployMs: 400,
    seed: 99,
    keys: KEYS,
    log: (l) => sandboxLog.push(l),
    faults: {
      errorRate: 0.2,
      rateLimitRate: 0.05,
      retryAfterSeconds: 1,
      latencySpikeRate: 0.05,
      latencySpikeMs: 1500,
      resetRate: 0.05,
      lostCreateRate: 0.2,
    },
  });

  // ---- worker processes, killed and restarted ----
  const workerLog: string[] = [];
  const taskQueue = 'chaos';
  let worker: ChildProcess | undefined;
  const startWorker = () => {
    // One process (node with tsx's loader), so SIGKILL hits the worker itself, not a wrapper.
    worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        TEMPORAL_TASK_QUEUE: taskQueue,
        TENSORONE_BASE_URL: sandbox.endpoints.tensorone.baseURL,
        TENSORONE_API_KEY: KEYS.tensorone,
        TENSORMESH_BASE_URL: sandbox.endpoints.tensormesh.baseURL,
        TENSORMESH_API_KEY: KEYS.tensormesh,
        MARQTUNE_BASE_URL: sandbox.endpoints.marqtune.baseURL,
        MARQTUNE_API_KEY: KEYS.marqtune,
        LOG_LEVEL: 'INFO',
      },
    });
    worker.stdout?.on('data', (d: Buffer) => workerLog.push(d.toString()));
    worker.stderr?.on('data', (d: Buffer) => workerLog.push(d.toString()));
  };
  startWorker();

  const connect = async () =>
    new Client({ connection: await Connection.connect({ address: `127.0.0.1:${port}` }) });
  let client = await connect();
  const ids: string[] = [];
  for (let i = 0; i < PIPELINES; i++) {
    const input = pipelineInput(`chaos-${i}`, {
      train: tensoroneTrain({ config: { training: { epochs: 5 } } }),
      supervision: {
        freshness: '2s',
        minInterval: '500ms',
        stallAfter: '60s',
        resumeBudget: 2,
        unknownStatusGrace: '60s',
      },
      deploy: { target: 'tensorone-endpoint', timeout: '2m' },
      cleanup: { retention: { keepLastN: 1 } },
    });
    await client.workflow.start('fineTuneToDeploy', {
      args: [input],
      taskQueue,
      workflowId: `pipeline-chaos-${i}`,
    });
    ids.push(`pipeline-chaos-${i}`);
  }

  // ---- chaos: SIGKILL the worker at random points; restart the server once, half-way ----
  let kills = 0;
  let serverRestarts = 0;
  const deadline = Date.now() + 15 * 60_000;
  while (kills < KILLS && Date.now() < deadline) {
    await sleep(2000 + Math.random() * 4000);
    worker?.kill('SIGKILL');
    kills += 1;
    if (kills === Math.floor(KILLS / 2)) {
      await server.teardown();
      server = await startServer();
      client = await connect();
      serverRestarts += 1;
    }
    startWorker();
  }

  // ---- every pipeline must end; then the checks ----
  const outcomes: Record<string, number> = {};
  const results: PipelineResult[] = [];
  for (const id of ids) {
    try {
      const r = (await client.workflow.getHandle(id).result()) as PipelineResult;
      results.push(r);
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    } catch (err) {
      const cause = `failed (${failureCause(err)})`;
      outcomes[cause] = (outcomes[cause] ?? 0) + 1;
    }
  }
  // SIGKILL, not SIGTERM: a graceful shutdown would wait on a server that is about to go away.
  worker?.kill('SIGKILL');

  const dup = sandbox.state.duplicates();
  let wronglyDeleted = 0;
  for (const r of results) {
    const left = new Set(
      sandbox.state
        .jobCheckpoints(r.jobId!)
        .map((c) => (c.type === 'best' || c.type === 'final' ? c.type : c.id)),
    );
    for (const needed of ['best', 'final', r.checkpoint!.checkpointId])
      if (!left.has(needed)) wronglyDeleted += 1;
  }
  const secrets = [...Object.values(KEYS), 'signature=', 'tm-serve-'];
  let leaks = 0;
  for (const id of ids) {
    for (const wf of [id, `${id}/supervise`, `${id}/cleanup`]) {
      const text = JSON.stringify(
        await client.workflow
          .getHandle(wf)
          .fetchHistory()
          .catch(() => ({})),
      );
      leaks += secrets.filter((s) => text.includes(s)).length;
    }
  }
  const logs = workerLog.join('') + sandboxLog.join('\n');
  leaks += secrets.filter((s) => logs.includes(s)).length;
  await sandbox.close();
  await server.teardown();

  process.stdout.write(
    `${benchHeader('Chaos: provider faults, worker SIGKILLs, a server restart')}\n` +
      table(
        [
          'pipelines',
          'faults injected',
          'kills',
          'server restarts',
          'outcomes',
          'duplicate jobs',
          'duplicate endpoints',
          'wrongly deleted',
          'Retry-After violations',
          'secret leaks',
        ],
        [
          [
            PIPELINES,
            Object.entries(sandbox.state.faultsInjected)
              .map(([k, v]) => `${k} ${v}`)
              .join(', '),
            kills,
            serverRestarts,
            Object.entries(outcomes)
              .map(([k, v]) => `${k} ${v}`)
              .join(', '),
            dup.jobs.length,
            dup.endpoints.length,
            wronglyDeleted,
            sandbox.state.retryAfterViolations,
            leaks,
          ],
        ],
      ) +
      '\n',
  );
  const ok =
    (outcomes.deployed ?? 0) === PIPELINES &&
    !dup.jobs.length &&
    !dup.endpoints.length &&
    !wronglyDeleted &&
    !sandbox.state.retryAfterViolations &&
    !leaks;
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
