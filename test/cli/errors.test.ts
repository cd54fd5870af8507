import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { pipelineInput, tensoroneTrain } from '../../fixtures/pipelines';
import { fineTuneToDeploy } from '../../src/workflows';
import { eventually } from '../harness/sandbox';
import { uniqueTaskQueue } from '../harness/temporal';
import { useCliBed } from '../harness/cli-bed';

/** Errors that say what to do, and one exit code per class of mistake (docs/cli.md). */

const repo = path.resolve(__dirname, '../..');
const bed = useCliBed({
  name: 'errors',
  sandbox: { epochMs: 120, queueMs: 40, deployMs: 120 },
  worker: true,
});
/** The CLI in this process against the bed; `env` is laid over its address and task queue. */
const cli = bed.inProcess;
const { taskQueue } = bed;

it('a pipeline name where the workflow id belongs is taken for it; what is not there is exit 3 for every command', async () => {
  const input = pipelineInput('named', {
    train: tensoroneTrain({ config: { training: { epochs: 2 } } }),
    supervision: { freshness: '1s', minInterval: '200ms', stallAfter: '20s', unknownStatusGrace: '20s' },
    deploy: { target: 'tensorone-endpoint', timeout: '30s' },
  });
  await bed.dev.client.workflow.execute(fineTuneToDeploy, {
    args: [input],
    taskQueue,
    workflowId: 'pipeline-named',
  });
  const byName = await cli(['status', 'named']);
  expect(byName.code).toBe(0);
  expect(byName.stderr).toContain('(named is a pipeline name: using its workflow id pipeline-named)');
  expect(byName.stdout).toMatch(/^pipeline-named {2}phase: completed/);

  // One at a time: each captures this process's output while it runs.
  for (const cmd of [['status'], ['approve'], ['cancel'], ['watch'], ['report'], ['unpin', 'ckpt_1']]) {
    const [name, ...rest] = cmd;
    const r = await cli([name, 'nothing-here', ...rest]);
    expect({ cmd: name, code: r.code }).toEqual({ cmd: name, code: 3 });
    expect(r.stderr).toContain(
      'not found: no workflow nothing-here in namespace default (nor pipeline-nothing-here, the id of a pipeline named nothing-here): `starter list` shows the pipelines and their ids',
    );
  }
}, 120_000);

it('no worker polling the task queue: status says so at once, watch after a few seconds, with how to start one', async () => {
  const idleQueue = uniqueTaskQueue('no-worker');
  const handle = await bed.dev.client.workflow.start(fineTuneToDeploy, {
    args: [pipelineInput('idle')],
    taskQueue: idleQueue,
    workflowId: `pipeline-idle-${idleQueue}`,
  });
  try {
    const status = await cli(['status', handle.workflowId]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`no worker is polling task queue ${idleQueue}`);
    expect(status.stderr).toContain(`TEMPORAL_TASK_QUEUE=${idleQueue} npm run worker`);

    const watch = spawn(
      path.join(repo, 'node_modules/.bin/tsx'),
      ['src/starter.ts', 'watch', handle.workflowId],
      {
        cwd: repo,
        env: { ...process.env, TEMPORAL_ADDRESS: bed.dev.address },
      },
    );
    let stderr = '';
    watch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await eventually(() => stderr.includes(`no worker is polling task queue ${idleQueue}`), 60_000);
    } finally {
      watch.kill('SIGTERM');
    }
  } finally {
    await handle.terminate('test over');
  }
}, 120_000);

it('no worker polling the task queue: a command that waits on one refuses at once with how to start one (exit 1), starting nothing', async () => {
  const idleQueue = uniqueTaskQueue('no-worker-waits');
  const env = { TEMPORAL_TASK_QUEUE: idleQueue };
  for (const args of [
    ['reconcile', '--dry-run'],
    ['budget', 'set', '--per-day', '500'],
    ['budget', 'unset'],
    ['cleanup', '--job', 'job_1', '--dry-run'],
    ['supervise', 'job_1'],
  ]) {
    const r = await cli(args, env);
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr).toContain(`no worker is polling task queue ${idleQueue}`);
    expect(r.stderr).toContain(`TEMPORAL_TASK_QUEUE=${idleQueue} npm run worker`);
  }
  // Nothing was left to run when a worker comes (a reconcile that acts, a budget set, a cleanup).
  const started = [];
  for await (const w of bed.dev.client.workflow.list({ query: `TaskQueue = '${idleQueue}'` }))
    started.push(w.workflowId);
  expect(started).toEqual([]);

  // An operator command to a pipeline whose queue no worker polls: at once, not an Update that waits.
  const handle = await bed.dev.client.workflow.start(fineTuneToDeploy, {
    args: [pipelineInput('idle-updates')],
    taskQueue: idleQueue,
    workflowId: `pipeline-idle-updates-${idleQueue}`,
  });
  try {
    for (const args of [['cancel'], ['approve'], ['reject'], ['pin', 'ckpt_1'], ['unpin', 'ckpt_1']]) {
      const [name, ...rest] = args;
      const r = await cli([name, handle.workflowId, ...rest]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toContain(`no worker is polling task queue ${idleQueue}`);
    }
  } finally {
    await handle.terminate('test over');
  }
}, 120_000);

it('a namespace without the search attributes: the command that registers them (exit 2, nothing started)', async () => {
  const namespace = `bare-${Date.now()}`;
  await bed.dev.client.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: { seconds: 86_400 as never },
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-errors-')), 'bare.yaml');
  fs.writeFileSync(file, YAML.stringify(pipelineInput('bare')));
  // The new namespace reaches the frontend's cache within seconds.
  const r = await eventually(async () => {
    const attempt = await cli(['run', '--no-follow', file], { TEMPORAL_NAMESPACE: namespace });
    return /Namespace .* not found/i.test(attempt.stderr) ? undefined : attempt;
  }, 30_000);
  expect(r.code).toBe(2);
  // The server names the first attribute it misses, in no fixed order.
  expect(r.stderr).toMatch(
    new RegExp(`namespace ${namespace} has no search attribute (FtpProvider|FtpJobId|FtpPhase):`),
  );
  expect(r.stderr).toContain(
    `register the pipeline's three with \`temporal operator search-attribute create --namespace ${namespace} --name FtpProvider --type Keyword --name FtpJobId --type Keyword --name FtpPhase --type Keyword\``,
  );
  expect(r.stderr).toContain('--no-search-attributes');
}, 60_000);

it('an address where something else answers (HTTP/1.1, or HTTP/2 with a 404) is said to be no Temporal server, with the port to use', async () => {
  const servers = [
    http.createServer((_, res) => res.writeHead(404).end('not found')),
    http2.createServer((_, res) => res.writeHead(404).end('not found')),
  ];
  for (const server of servers) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    for (const server of servers) {
      const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli(['list'], { TEMPORAL_ADDRESS: address });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${address} answers, but not as a Temporal server`);
      expect(r.stderr).toContain("TEMPORAL_ADDRESS at the frontend's gRPC port (7233 by default");
    }
  } finally {
    for (const server of servers) server.close();
  }
}, 90_000);
