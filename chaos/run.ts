/**
 * `npm run test:chaos [-- --pipelines N --kills K] [--bounded] [--json]`: many pipelines on the dev
 * server (persisted to a database file), started over the run (some through the starter CLI), with a
 * real worker process killed by SIGKILL — at random and aimed at a create, a deploy and a cleanup
 * deletion as the sandbox answers them — and restarted, one restart of the server itself, and provider
 * faults from the sandbox. Then it checks every pipeline's end state, duplicates, protected checkpoints,
 * Retry-After timing and secrets in every history and every log line, and prints one table.
 * `--bounded` is the short form that runs inside `npm test`. `--profile documented` runs it against
 * the sandbox's documented profile (only the routes the provider documents promise): creates that
 * cannot be looked up may then be duplicated, and every such duplicate must have been reported.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { failureCause } from '../src/cli/follow';
import { ensureEngines } from '../engine';
import { startDevServer } from '../engine/dev-server-tuning';
import { epochMetrics } from '../sandbox/curves';
import { startSandbox } from '../sandbox/server';
import { SANDBOX_PROFILES, type SandboxProfile } from '../sandbox/profile';
import { upsertCleanupSchedule } from '../src/schedules/cleanup-schedule';
import { servingSlots } from '../src/clients/serving-slots';
import type { SlotState } from '../src/decisions/serving-slot';
import { statusQuery, type PipelineResult, type PipelineStatus } from '../src/workflows/pipeline/contract';
import { benchHeader, flag, option, table } from '../bench/report';
import { writeWorkflowBundle } from '../scripts/bundle-workflows';
import { pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { operatorActions } from './operator';
import { starterCli, workerProcess } from './processes';
import { chaosPlan, expectedOutcome, killTargets, type ChaosPipeline, type KillTarget } from './plan';
import { fineTuneToDeploy } from '../src/workflows';
import { connectionInterceptors } from '../src/config/grpc-interceptors';

const BOUNDED = flag('bounded');
const PROFILE = (option('profile') ?? 'extended') as SandboxProfile;
if (!SANDBOX_PROFILES.includes(PROFILE)) {
  process.stderr.write(`--profile must be one of ${SANDBOX_PROFILES.join(', ')}\n`);
  process.exit(2);
}
const PIPELINES = Number(option('pipelines') ?? (BOUNDED ? 4 : 12));
const KILLS = Number(option('kills') ?? (BOUNDED ? 6 : 24));
/** Pipelines the operator cancels while a create is answered, in turn a job's and an endpoint's. */
const CANCELS = Number(option('cancels') ?? (BOUNDED ? 2 : 4));
/**
 * Sweeps (eight trials each, halved at epochs 2 and 4; a kill aimed at a rung decision): in the full run.
 * Not in the bounded one: its aim holds the one aim slot until a rung decision comes, and the bounded
 * run's six kills must land within three minutes.
 */
const SWEEPS = Number(option('sweeps') ?? (BOUNDED ? 0 : 1));
/** The cleanup Schedule's interval: every minute in the full run, every 15 s in the bounded one. */
const CLEANUP_EVERY = BOUNDED ? '15s' : '1m';
/** How long a create aimed at by a cancel is held before its answer goes out (client timeout: 30 s): room for `starter cancel` to start on two busy cores. */
const HELD_CREATE_MS = 20_000;
/** Epochs per job; the job that answers `completed` early trains longer, so that a look finds it mid-way. */
const epochsOf = (p: ChaosPipeline) => (p.spuriousStatus ? 300 : p.sweep ? 6 : 5);
/** Seconds between two pipeline starts: creates, deploys and cleanups happen all through the run. */
const START_SPREAD_MS = BOUNDED ? 1500 : 3000;
const KEYS = {
  tensorone: 'chaos-t1-key-5f1e9a0c2b',
  tensormesh: 'chaos-tm-key-77aa31c9e0',
  marqtune: 'chaos-mq-key-0c9d8e7f6a',
  hfToken: 'hf_chaosTokenA1b2C3d4E5f6',
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) =>
  process.stderr.write(`chaos ${new Date().toISOString().slice(11, 19)} ${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-chaos-'));
  const dbFilename = path.join(dir, 'temporal.db');
  const bundle = path.join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle); // restarts in about a second instead of re-bundling each time
  const port = 17000 + Math.floor(Math.random() * 2000);
  const address = `127.0.0.1:${port}`;
  const { devServer } = await ensureEngines({ testServer: false });
  const startServer = () => startDevServer(devServer!, { port, uiPort: port + 1000, dbFilename });
  let server = await startServer();

  // ---- kills aimed at a create, a deploy or a cleanup deletion: fired as the sandbox answers it ----
  /** `about`: only a request whose path passes it counts (e.g. about the retrain's own endpoint). */
  let aimed: { target: KillTarget; about?: (path: string) => boolean; hit: () => void } | undefined;
  /** Endpoint ids whose name starts so (a pipeline run's endpoints are named after its workflow id). */
  const endpointsNamed = (start: string) =>
    [...sandbox.state.endpoints.values()].filter((e) => e.name.startsWith(start)).map((e) => e.id);
  const aboutEndpointNamed = (start: string) => (path: string) =>
    endpointsNamed(start).some((id) => path.split('/').includes(id));
  const sandboxLog: string[] = [];
  /** Every checkpoint deletion the sandbox performed, with when: "deleted in use" is judged on these. */
  const deletions: { checkpointId: string; at: number }[] = [];
  const deletionPath = '/tensorone/v2/training/checkpoints/';
  const sandbox = await startSandbox({
    epochMs: 400,
    queueMs: 200,
    deployMs: 400,
    seed: 99,
    profile: PROFILE,
    unknownRoute: 'invalid-method',
    keys: { tensorone: KEYS.tensorone, tensormesh: KEYS.tensormesh, marqtune: KEYS.marqtune },
    log: (l) => sandboxLog.push(l),
    onRequest: (r) => {
      if (r.method === 'DELETE' && r.path.startsWith(deletionPath) && r.status === 204)
        deletions.push({
          checkpointId: decodeURIComponent(r.path.slice(deletionPath.length)),
          at: Date.now(),
        });
      if (aimed && killTargets[aimed.target]?.(r) && (!aimed.about || aimed.about(r.path))) {
        // The answer has not gone out yet: the worker dies with the request done and no reply.
        worker.kill();
        aimed.hit();
        aimed = undefined;
      }
    },
    faults: {
      errorRate: 0.2,
      rateLimitRate: 0.05,
      retryAfterSeconds: 1,
      latencySpikeRate: 0.05,
      latencySpikeMs: 1500,
      resetRate: 0.05,
      lostCreateRate: 0.2,
      // One pipeline in four: the job fails at epoch 3 with a resumable reason and must be resumed.
      failAtEpoch: 3,
      failJobNameContains: 'chaos-resume',
      // One malformed answer per run (a gateway's HTML page, 200, to a job GET) and one spurious
      // terminal status (`completed` once at the first look while the first pipeline's job trains: looks
      // between worker kills are few, and the job trains 300 epochs, 2 min, so the second look disagrees).
      htmlAnswers: 1,
      htmlAnswerRoutePattern: '^/tensorone/v2/training/jobs/[^/]+$',
      spuriousStatus: 'completed',
      spuriousStatusAtEpoch: 1,
      spuriousStatusJobNameContains: 'pipeline-chaos-0--',
    },
  });

  // ---- the worker process: production form (prebuilt bundle), killed and restarted ----
  const taskQueue = 'chaos';
  const worker = workerProcess({ address, taskQueue, bundle, sandbox, keys: KEYS });
  const workerLog = worker.log;
  const startWorker = () => worker.start();
  startWorker();

  // ---- the starter CLI, as an operator runs it; its output is scanned like every other log ----
  const cliLog: string[] = [];
  // The server may be restarting: `run` attaches to an existing run, so trying again is safe.
  const cli = starterCli({ address: () => address, taskQueue, log: cliLog, say });

  let client = await connectClient(address);
  const plan = chaosPlan(PIPELINES, CANCELS, SWEEPS);
  // ---- a cleanup Schedule of every completed job's checkpoints, firing all through the run ----
  const scheduleId = 'chaos-cleanup';
  await upsertCleanupSchedule(client, {
    scheduleId,
    taskQueue,
    every: CLEANUP_EVERY,
    input: { jobFilter: { status: 'completed' }, retention: { keepLastN: 1 } },
    note: 'chaos: cleanup while pipelines gate, await approval and deploy',
  });
  const supervision = {
    freshness: '2s',
    minInterval: '500ms',
    stallAfter: '60s',
    resumeBudget: 2,
    unknownStatusGrace: '60s',
  };
  const retrained = (p: ChaosPipeline) => plan.filter((q) => q.name === p.name).length > 1;
  const startPipeline = async (p: ChaosPipeline) => {
    const input = pipelineInput(p.name, {
      train: tensoroneTrain({
        config: { training: { epochs: epochsOf(p) } },
        // Eight trials, each its own job: the kills land among their creates, stops and rung reports.
        ...(p.sweep
          ? {
              sweep: {
                parameters: {
                  'training.learning_rate': [0.00003, 0.0001, 0.0003, 0.001],
                  'parameters.rank': [16, 64],
                },
                strategy: 'grid' as const,
                parallel: 4,
                halving: { rungs: [2, 4], keep: 0.5 },
              },
            }
          : {}),
      }),
      supervision,
      deploy:
        p.deploy === 'tensormesh'
          ? { target: 'tensormesh', userId: '6f1c2b7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f', timeout: '2m' }
          : // A name run twice: its first deployment drains 5 s, then is retired (a kill aims at that).
            { target: 'tensorone-endpoint', timeout: '2m', ...(retrained(p) ? { retireAfter: '5s' } : {}) },
      cleanup: { retention: { keepLastN: 1 } },
      // The spurious-status job trains ~2 min, looked at every 2 s (the freshness): it trains on after the
      // kills and the server restart (the first minute), so a look finds it mid-way; reports every 10 s.
      ...(p.spuriousStatus ? { supervision: { ...supervision, reportEvery: '10s' } } : {}),
      ...(p.approval ? { gate: { approval: { required: true, timeout: '30m', onTimeout: 'reject' } } } : {}),
      // Its runs train different curves (the curve follows the workflow id): promoted whatever they score.
      ...(retrained(p) ? { gate: { compareWithChampion: false } } : {}),
    });
    if (p.via === 'cli') {
      const file = path.join(dir, `${p.name}.json`);
      fs.writeFileSync(file, JSON.stringify(input));
      await cli(['run', file, '--no-follow', '--no-search-attributes']);
    } else {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.workflow.start(fineTuneToDeploy, {
            args: [input],
            taskQueue,
            workflowId: p.workflowId,
          });
          break;
        } catch (err) {
          if (attempt === 5) throw err;
          await sleep(2000); // the server is restarting
        }
      }
    }
    say(`started ${p.workflowId} (${p.via})`);
  };
  const operator = operatorActions({
    startPipeline,
    cli,
    client: () => client,
    sandbox,
    heldCreateMs: HELD_CREATE_MS,
    approveAfterMs: BOUNDED ? 16_000 : 70_000,
    say,
  });
  // ---- kills aimed at a moment: the worker dies as the sandbox answers the aimed-at request ----
  const kills: Record<KillTarget, number> = {
    create: 0,
    deploy: 0,
    promote: 0,
    retire: 0,
    cleanup: 0,
    rung: 0,
    random: 0,
  };
  let killCount = 0;
  /** Resolves true once the worker was killed at `target` (the caller restarts it), false after `ms` without it. */
  const aimAt = async (
    target: KillTarget,
    ms: number,
    about?: (path: string) => boolean,
    /** Runs once the aim is set: what should make the aimed-at request come (e.g. starting a sweep). */
    armed?: () => Promise<void>,
  ): Promise<boolean> => {
    while (aimed) await sleep(200); // one aim at a time
    const hit = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        aimed = undefined;
        resolve(false);
      }, ms);
      aimed = {
        target,
        about,
        hit: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      void armed?.().catch((err: unknown) =>
        say(`could not start what the ${target} aim waits for: ${String(err)}`),
      );
    });
    if (hit) {
      kills[target] += 1;
      killCount += 1;
      say(`kill ${killCount} (${target})`);
    }
    return hit;
  };
  /** Waits until a workflow has closed, across worker kills and the server's restart. */
  const ended = async (workflowId: string) => {
    for (;;) {
      const closed = await client.workflow
        .getHandle(workflowId)
        .describe()
        .then((d) => d.status.name !== 'RUNNING')
        .catch(() => false);
      if (closed) return;
      await sleep(2000);
    }
  };
  /** The retrain: once the first run ended, the second is started; kills aim at its promotion and the retirement. */
  const retrainAfter = async (p: ChaosPipeline) => {
    await ended(p.after!);
    await startPipeline(p);
    // At its own deployment's verifying inference, then at the deletion of the deployment it replaced.
    if (await aimAt('promote', 240_000, aboutEndpointNamed(`${p.workflowId}--`))) startWorker();
    // The replaced endpoint, by id: a DELETE is answered after the sandbox has forgotten its name. The
    // documented profile has no delete route (the slot names it for removal by hand): nothing to aim at.
    // Four minutes: room for the drain and, on two busy cores, a retried smoke test before it.
    const replaced = endpointsNamed(`${p.after}--`);
    if (PROFILE === 'documented') return;
    if (await aimAt('retire', 240_000, (path) => replaced.some((id) => path.endsWith(`/${id}`))))
      startWorker();
  };

  /** A sweep's trial job, by a request's path: a rung decision acted on at the provider. */
  const aboutSweepJob = (path: string) =>
    path.split('/').some((id) => sandbox.state.jobs.get(id)?.name.startsWith('pipeline-chaos-sweep-'));
  /**
   * The kill aimed at a rung decision: the worker dies as a trial's job is stopped or resumed. Aimed
   * before the sweep starts: its rung decisions come within a minute of its start.
   */
  const startSweepWithKillAtRung = async (p: ChaosPipeline) => {
    if (await aimAt('rung', 240_000, aboutSweepJob, () => startPipeline(p))) startWorker();
  };

  const operating: Promise<void>[] = [];
  const starting = (async () => {
    for (const p of plan) {
      if (p.after) {
        operating.push(retrainAfter(p)); // starts once the run it retrains has ended
      } else if (p.cancelDuring === 'job-create') {
        operating.push(operator.cancelDuringJobCreate(p)); // starts it once no other create is held
      } else if (p.sweep) {
        operating.push(startSweepWithKillAtRung(p)); // starts it once the aim at its rungs is set
      } else {
        await startPipeline(p);
        if (p.cancelDuring === 'endpoint-create') operating.push(operator.cancelDuringEndpointCreate(p));
        else if (p.approval) operating.push(operator.approveLater(p));
        if (p.pin) operating.push(operator.pinFirstCheckpoint(p));
      }
      await sleep(START_SPREAD_MS);
    }
  })();

  // ---- chaos: SIGKILL the worker (aimed or at random); restart the server once, half-way ----
  let serverRestarts = 0;
  const deadline = Date.now() + (BOUNDED ? 3 : 15) * 60_000;
  const order: KillTarget[] = ['create', 'deploy', 'promote', 'cleanup', 'random'];
  let loopKills = 0;
  while (loopKills < KILLS && Date.now() < deadline) {
    await sleep(1500 + Math.random() * 3000);
    const target = order[loopKills % order.length];
    loopKills += 1;
    // Wait up to 12 s for the aimed request; if none comes, kill at a random moment instead.
    if (!(target !== 'random' && (await aimAt(target, 12_000)))) {
      worker.kill();
      kills.random += 1;
      killCount += 1;
      say(`kill ${killCount} (random)`);
    }
    if (loopKills === Math.floor(KILLS / 2)) {
      await server.teardown();
      server = await startServer();
      client = await connectClient(address);
      serverRestarts += 1;
      say('server restarted');
    }
    startWorker();
  }
  // A pipeline still running at the deadline is reported with its phase, not waited on forever; an
  // operator action still waiting for its moment (a gate never reached) is given up at the same deadline.
  const resultsDeadline = Date.now() + (BOUNDED ? 6 : 15) * 60_000;
  await starting;
  const operated = await Promise.race([
    Promise.all(operating).then(() => true),
    sleep(Math.max(0, resultsDeadline - Date.now())).then(() => false),
  ]);
  if (!operated) say('an operator action never found its moment before the deadline');

  // ---- every pipeline must end; then the checks ----
  const outcomes: Record<string, number> = {};
  let outcomeMismatches = 0;
  const results = new Map<string, PipelineResult>();
  for (const p of plan) {
    say(`waiting for ${p.workflowId}`);
    const handle = client.workflow.getHandle(p.workflowId);
    const outcomeOf = () =>
      handle.result().then(
        (r: PipelineResult) => (results.set(p.workflowId, r), r.outcome),
        (err: unknown) => `failed (${failureCause(err)})`,
      );
    const outcome = await Promise.race([
      outcomeOf(),
      sleep(Math.max(0, resultsDeadline - Date.now())).then(async () => {
        // Past the deadline a pipeline that has ended is still read as it ended, not as unfinished.
        const closed = await handle
          .describe()
          .then((d) => d.status.name !== 'RUNNING')
          .catch(() => false);
        if (closed) return outcomeOf();
        const status = await handle.query(statusQuery).catch(() => undefined);
        say(`${p.workflowId} unfinished: ${await whatItWaitsOn(client, p.workflowId)}`);
        return `unfinished (${status?.phase ?? 'unknown phase'})`;
      }),
    ]);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    say(`${p.workflowId}: ${outcome}`);
    if (outcome !== expectedOutcome(p)) outcomeMismatches += 1;
  }
  // What each pipeline held in use (candidate, pins) and until when: read before the worker goes.
  const held = new Map<string, { status?: PipelineStatus; closedAt: number }>();
  for (const p of plan) {
    const handle = client.workflow.getHandle(p.workflowId);
    const status = await handle.query(statusQuery).catch(() => undefined);
    const closed = await handle.describe().then(
      (d) => d.closeTime?.getTime(),
      () => undefined,
    );
    held.set(p.workflowId, { status, closedAt: closed ?? Infinity });
  }
  // Each name's serving slot, queried while the worker that answers its queries still runs.
  const slots = servingSlots(client, taskQueue);
  const slotStates = new Map<string, SlotState | undefined>();
  // A retrained name's first deployment drains 5 s and is then retired: give that two minutes to end (a
  // kill aimed at the retirement's delete costs the activity's start-to-close before it is tried again).
  const settled = (s: SlotState | undefined) => !s || (!s.draining.length && !s.retiring.length);
  const settleBy = Date.now() + 120_000;
  for (const p of plan) {
    let state = await slots.read(p.name).catch(() => undefined);
    while (retrained(p) && !settled(state) && Date.now() < settleBy) {
      await sleep(1000);
      state = await slots.read(p.name).catch(() => undefined);
    }
    slotStates.set(p.name, state);
  }
  /** A deployment its slot retired, by id: deleted (its checkpoint released) or left for removal by hand. */
  const retiredDeployments = new Map(
    [...slotStates.values()].flatMap((s) => s?.retired ?? []).map((r) => [r.deploymentId, r]),
  );
  const deletedByRetirement = (id: string | undefined) => {
    const r = id ? retiredDeployments.get(id) : undefined;
    return r && r.outcome !== 'remove-by-hand' ? r : undefined;
  };
  const cleanupSchedule = client.schedule.getHandle(scheduleId);
  const scheduleInfo = await cleanupSchedule.describe().then((d) => d.info);
  await cleanupSchedule.delete();
  for (const p of plan) await cli(['status', p.workflowId, '--json']);
  await cli(['list']);
  // SIGKILL, not SIGTERM: a graceful shutdown would wait on a server that is about to go away.
  worker.kill();

  const dup = sandbox.state.duplicates();
  // Without a lookup route a retry creates again; TensorMesh retries use `<name>-a<n>`, so a duplicate
  // there is a model whose name extends another's.
  const meshNames = Object.keys(sandbox.state.creations.meshModels);
  const meshRetryDuplicates = meshNames.filter(
    (n) => /-a\d+$/.test(n) && meshNames.includes(n.replace(/-a\d+$/, '')),
  );
  const duplicates = {
    jobs: dup.jobs.length,
    endpoints:
      dup.endpoints.length + dup.deployments.length + dup.meshModels.length + meshRetryDuplicates.length,
  };
  // Every duplicate the product could not avoid must have been reported to the operator.
  const reported = new Set(
    [...results.values()].flatMap((r) =>
      r.deployment?.possibleDuplicate ? [r.deployment.possibleDuplicate.name] : [],
    ),
  );
  const duplicateNames = [
    ...dup.endpoints,
    ...dup.deployments,
    ...dup.meshModels,
    ...meshRetryDuplicates.map((n) => n.replace(/-a\d+$/, '')),
  ];
  const unreportedDuplicates = duplicateNames.filter((n) => !reported.has(n)).length;
  // Each worker process may ask an undocumented route once, then knows (kills start new processes).
  const workerProcesses = killCount + 1;
  const undocumentedAskedTooOften = Object.values(sandbox.state.undocumentedRequests).filter(
    (n) => n > workerProcesses,
  ).length;
  const deployed = plan.map((p) => results.get(p.workflowId)).filter((r) => r?.outcome === 'deployed');

  // Orphaned: a job still running or queued, or an endpoint / deployment / TensorMesh model that no
  // deployed pipeline reports as serving.
  const serving = new Set(deployed.flatMap((r) => [r?.deployment?.id, r?.deployment?.modelId]));
  const orphans: string[] = [];
  for (const job of sandbox.state.jobs.values())
    if (['running', 'pending'].includes(sandbox.state.advance(job).status)) orphans.push(job.id);
  // A deployment the product told the operator about (a possible duplicate of a create without a
  // lookup, or one left running because the provider offers no delete) is reported, not orphaned.
  const toldOperator = new Set([
    ...[...results.values()].flatMap((r) => [
      r.deployment?.possibleDuplicate?.name,
      r.deployment?.removeByHand ? r.deployment.id : undefined,
    ]),
    // Retired by its slot where the documents promise no delete route: named there for removal by hand.
    ...[...retiredDeployments.values()]
      .filter((r) => r.outcome === 'remove-by-hand')
      .map((r) => r.deploymentId),
  ]);
  for (const e of sandbox.state.endpoints.values())
    if (!serving.has(e.id) && !toldOperator.has(e.id) && !toldOperator.has(e.name)) orphans.push(e.id);
  for (const m of sandbox.state.meshModels.values())
    if (
      !serving.has(m.modelId) &&
      !serving.has(m.deploymentId) &&
      !toldOperator.has(m.modelId) &&
      !toldOperator.has(m.modelName.replace(/-a\d+$/, ''))
    )
      orphans.push(m.modelId);

  // Deleted in use: a deletion of a checkpoint while it was a pin (from its pinning on), a pipeline's
  // candidate (until that pipeline ended) or a deployed one (from then on).
  const inUseUntil = new Map<string, { from: number; until: number }[]>();
  const inUse = (id: string | undefined, from: number, until: number) => {
    if (id) inUseUntil.set(id, [...(inUseUntil.get(id) ?? []), { from, until }]);
  };
  for (const pin of operator.record.pins) inUse(pin.checkpointId, pin.at, Infinity);
  for (const p of plan) {
    const h = held.get(p.workflowId)!;
    inUse(h.status?.candidate?.checkpointId, 0, h.closedAt);
    const r = results.get(p.workflowId);
    const retiredAt = deletedByRetirement(r?.deployment?.id)?.retiredAt;
    if (r?.outcome === 'deployed')
      inUse(r.checkpoint?.checkpointId, 0, retiredAt ? Date.parse(retiredAt) : Infinity);
  }
  const deletedInUse = deletions.filter((d) =>
    (inUseUntil.get(d.checkpointId) ?? []).some((w) => w.from <= d.at && d.at <= w.until),
  );

  // The right model: what serves is the checkpoint the result reports; the job that answered
  // `completed` early trained all its epochs and deployed the best of all of them.
  const wrongModels: string[] = [];
  for (const p of plan) {
    const r = results.get(p.workflowId);
    if (r?.outcome !== 'deployed' || !r.checkpoint || !r.deployment) continue;
    if (retiredDeployments.has(r.deployment.id)) continue; // replaced by a retrain: judged with the slots
    const served =
      p.deploy === 'tensormesh'
        ? sandbox.state.meshModels.get(r.deployment.id)?.modelPath
        : sandbox.state.endpoints.get(r.deployment.id)?.checkpointId;
    if (!served?.includes(r.checkpoint.checkpointId))
      wrongModels.push(`${p.name}: serves ${served} for ${r.checkpoint.checkpointId}`);
    if (p.spuriousStatus) {
      const job = sandbox.state.advance(sandbox.state.jobs.get(r.jobId!)!);
      const losses = Array.from(
        { length: epochsOf(p) },
        (_, i) => epochMetrics(sandbox.state.options.seed, job.name, i + 1, epochsOf(p)).validationLoss,
      );
      if (job.completedEpochs !== epochsOf(p) || r.checkpoint.value !== Math.min(...losses))
        wrongModels.push(`${p.name}: job ${job.id} ${job.status} at ${job.completedEpochs} epochs`);
    }
  }

  // Serving slots: a name's last deployed run serves it; each run of the name was promoted once (a kill
  // around a promotion must not promote twice or lose it); what it replaced was retired — deleted where
  // the provider has a delete route, else named for removal by hand — and the champion is deployed.
  const slotProblems: string[] = [];
  for (const name of new Set(plan.map((p) => p.name))) {
    const runs = plan
      .filter((p) => p.name === name)
      .map((p) => ({ p, r: results.get(p.workflowId) }))
      .filter(({ r }) => r?.outcome === 'deployed' && r.deployment);
    if (!runs.length) continue;
    const slot = slotStates.get(name);
    const { p: last, r: lastResult } = runs.at(-1)!;
    const promotions = slot?.history.filter((e) => e.kind === 'promoted').length ?? 0;
    const championId = slot?.champion?.deploymentId;
    const exists =
      last.deploy === 'tensormesh'
        ? sandbox.state.meshModels.has(championId ?? '')
        : sandbox.state.endpoints.has(championId ?? '');
    if (championId !== lastResult!.deployment!.id)
      slotProblems.push(`${name}: slot serves ${championId ?? 'nothing'}, not ${lastResult!.deployment!.id}`);
    else if (promotions !== runs.length)
      slotProblems.push(`${name}: promoted ${promotions} times for ${runs.length} runs`);
    else if (!exists) slotProblems.push(`${name}: champion ${championId} is not deployed`);
    for (const { r } of runs.slice(0, -1)) {
      const id = r!.deployment!.id;
      const gone = retiredDeployments.get(id);
      const expected = PROFILE === 'documented' ? ['remove-by-hand'] : ['removed', 'already-gone'];
      if (!gone) slotProblems.push(`${name}: ${id} was replaced but not retired`);
      else if (!expected.includes(gone.outcome))
        slotProblems.push(`${name}: ${id} retired as ${gone.outcome}${gone.note ? ` (${gone.note})` : ''}`);
      else if (gone.outcome !== 'remove-by-hand' && sandbox.state.endpoints.has(id))
        slotProblems.push(`${name}: ${id} retired but still deployed`);
    }
  }

  const wronglyDeleted: string[] = [];
  let resumedAfterFailure = 0;
  for (const p of plan) {
    const r = results.get(p.workflowId);
    if (!r?.jobId || !r.checkpoint) continue;
    const left = new Set(
      sandbox.state.jobCheckpoints(r.jobId).flatMap((c) => [c.id, c.type]), // by id, and 'best' / 'final' by type
    );
    // A cancelled pipeline's candidate is no longer in use once it ended: a later cleanup may take it.
    // Nor is a retired deployment's once the slot deleted it (its protection record was released).
    const deployedCheckpoint =
      r.outcome === 'deployed' && !deletedByRetirement(r.deployment?.id) ? [r.checkpoint.checkpointId] : [];
    for (const needed of ['best', 'final', ...deployedCheckpoint])
      if (!left.has(needed)) wronglyDeleted.push(`${p.name}: ${needed} of ${r.jobId}`);
    if (p.failsOnce && sandbox.state.jobs.get(r.jobId)?.faultFired.fail) resumedAfterFailure += 1;
  }
  const secrets = [...Object.values(KEYS), 'signature=', 'tm-serve-', 'tmk_'];
  let leaks = 0;
  const scheduledCleanups = scheduleInfo.recentActions.map((a) => a.action.workflow.workflowId);
  // Each pipeline and its children (the supervision's id names the job: read them from its history).
  const children = async (workflowId: string) =>
    client.workflow
      .getHandle(workflowId)
      .fetchHistory()
      .then((h) =>
        (h.events ?? []).flatMap(
          (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [],
        ),
      )
      .catch(() => [`${workflowId}/supervise`, `${workflowId}/cleanup`]);
  const histories = [
    ...(await Promise.all(plan.map(async (p) => [p.workflowId, ...(await children(p.workflowId))]))).flat(),
    ...scheduledCleanups,
  ];
  for (const wf of histories) {
    const text = JSON.stringify(
      await client.workflow
        .getHandle(wf)
        .fetchHistory()
        .catch(() => ({})),
    );
    leaks += secrets.filter((s) => text.includes(s)).length;
  }
  const logs = workerLog.join('') + sandboxLog.join('\n') + cliLog.join('');
  const keepLogs = option('logs'); // a folder for the worker, sandbox and CLI logs, to look into a failure
  if (keepLogs) {
    fs.mkdirSync(keepLogs, { recursive: true });
    fs.writeFileSync(path.join(keepLogs, 'worker.log'), workerLog.join(''));
    fs.writeFileSync(path.join(keepLogs, 'sandbox.log'), sandboxLog.join('\n'));
    fs.writeFileSync(path.join(keepLogs, 'cli.log'), cliLog.join(''));
  }
  leaks += secrets.filter((s) => logs.includes(s)).length;
  await sandbox.close();
  await server.teardown();
  fs.rmSync(dir, { recursive: true, force: true });

  const summary = {
    profile: PROFILE,
    pipelines: plan.length,
    sweeps: SWEEPS,
    faults: sandbox.state.faultsInjected,
    kills,
    serverRestarts,
    outcomes,
    resumedAfterFailure,
    expectedResumes: plan.filter((p) => p.failsOnce).length,
    duplicateJobs: duplicates.jobs,
    duplicateEndpoints: duplicates.endpoints,
    reportedDuplicates: reported.size,
    unreportedDuplicates,
    undocumentedRequests: sandbox.state.undocumentedRequests,
    undocumentedAskedTooOften,
    wronglyDeleted: wronglyDeleted.length,
    wronglyDeletedDetails: wronglyDeleted,
    retryAfterViolations: sandbox.state.retryAfterViolations,
    secretLeaks: leaks,
    outcomeMismatches,
    cancels: operator.record.cancels.length,
    cancelsInCreate: operator.record.cancels.filter((c) => c.landedInCreate).length,
    expectedCancels: plan.filter((p) => p.cancelDuring).length,
    pins: operator.record.pins.length,
    approvals: operator.record.approvals.length,
    scheduledCleanups: scheduleInfo.numActionsTaken,
    scheduledCleanupsSkipped: scheduleInfo.numActionsSkippedOverlap,
    cleanupEvery: CLEANUP_EVERY,
    wrongModels: wrongModels.length,
    wrongModelDetails: wrongModels,
    slotProblems,
    orphanedResources: orphans.length,
    orphans,
    deletedInUse: deletedInUse.length,
    deletedInUseIds: deletedInUse.map((d) => d.checkpointId),
    logLinesScanned: logs.split('\n').length,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  process.stdout.write(
    `${benchHeader(`Chaos: provider faults, worker SIGKILLs, a server restart (${PROFILE} profile)`)}\n` +
      table(
        [
          'profile',
          'pipelines',
          'faults injected',
          'kills',
          'server restarts',
          'outcomes',
          'resumed after failure',
          'duplicate jobs',
          'duplicate endpoints / deployments',
          'duplicates unreported',
          'wrongly deleted',
          'operator',
          'orphaned resources',
          'deleted in use',
          'wrong model deployed',
          'slot wrong',
          'Retry-After violations',
          'secret leaks',
          'seconds',
        ],
        [
          [
            PROFILE,
            `${summary.pipelines} (${summary.expectedCancels} cancelled by the operator${SWEEPS ? `, ${SWEEPS} sweeps of 8 trials` : ''})`,
            list(summary.faults),
            `${killCount} (${list(kills)})`,
            serverRestarts,
            list(outcomes),
            `${resumedAfterFailure} of ${summary.expectedResumes}`,
            summary.duplicateJobs,
            summary.duplicateEndpoints,
            unreportedDuplicates,
            wronglyDeleted.length,
            `${summary.cancels} cancels (${summary.cancelsInCreate} during a create), ${summary.pins} pins, ${summary.approvals} approvals, ${summary.scheduledCleanups} scheduled cleanups (every ${CLEANUP_EVERY}; ${summary.scheduledCleanupsSkipped} skipped while one ran)`,
            summary.orphanedResources,
            summary.deletedInUse,
            wrongModels.length,
            slotProblems.length,
            summary.retryAfterViolations,
            `${leaks} (${summary.logLinesScanned} log lines and ${histories.length} histories scanned)`,
            summary.seconds,
          ],
        ],
      ) +
      '\n',
  );
  if (flag('json')) process.stdout.write(`CHAOS_SUMMARY ${JSON.stringify(summary)}\n`);
  const ok =
    !outcomeMismatches &&
    summary.faults.htmlAnswer === 1 &&
    summary.faults.spuriousStatus === 1 &&
    summary.scheduledCleanups >= 1 &&
    summary.cancelsInCreate === summary.expectedCancels &&
    !summary.orphanedResources &&
    !summary.deletedInUse &&
    !wrongModels.length &&
    !slotProblems.length &&
    killCount >= Math.min(KILLS, 1) &&
    resumedAfterFailure === summary.expectedResumes &&
    !duplicates.jobs &&
    // On documented routes a duplicate may be unavoidable; it must then have been reported.
    (PROFILE === 'documented' ? !unreportedDuplicates : !duplicates.endpoints) &&
    !undocumentedAskedTooOften &&
    !wronglyDeleted.length &&
    !summary.retryAfterViolations &&
    !leaks;
  process.exit(ok ? 0 : 1);
}

async function connectClient(address: string): Promise<Client> {
  return new Client({
    connection: await Connection.connect({ address, interceptors: connectionInterceptors() }),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

/**
 * What a workflow still running at the deadline waits on, down its children: pending activities (type,
 * attempt, last failure), pending children, and whether a workflow task is stuck — so a failed run says why.
 */
async function whatItWaitsOn(client: Client, workflowId: string, depth = 0): Promise<string> {
  let d;
  try {
    d = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    return `${workflowId}: cannot describe (${(err as Error).message})`;
  }
  const raw = d.raw;
  const parts = [`${workflowId} [${d.status.name}, ${d.historyLength} events]`];
  for (const a of raw.pendingActivities ?? [])
    parts.push(
      `activity ${a.activityType?.name} attempt ${a.attempt} state ${a.state}${a.lastFailure?.message ? ` last failure: ${a.lastFailure.message.slice(0, 160)}` : ''}`,
    );
  if (raw.pendingWorkflowTask) parts.push(`workflow task attempt ${raw.pendingWorkflowTask.attempt}`);
  for (const c of raw.pendingChildren ?? []) {
    parts.push(
      depth < 2 && c.workflowId
        ? await whatItWaitsOn(client, c.workflowId, depth + 1)
        : `child ${c.workflowId}`,
    );
  }
  return parts.join('; ');
}
