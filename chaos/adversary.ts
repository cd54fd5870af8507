/**
 * `npm run test:adversary -- --seeds 1..N [--profiles extended,documented] [--kinds a,b] [--accidents a,b]
 * [--parallel K] [--max-rps R] [--json]`: under each seed, the four example pipelines (endpoint, gated,
 * registry, TensorMesh) and a retrain of the first run on each sandbox profile against a lying provider
 * (sandbox/adversary.ts), with an operator pinning, approving, cancelling and rolling back through the
 * starter CLI, a cleanup Schedule firing, the gated pipeline's job stalling once (a stall fault its
 * supervision must stop and resume), and Temporal-side accidents (worker SIGKILL, a terminated child,
 * protection registry or serving slot, a server restart). Then every invariant (chaos/invariants.ts)
 * is checked; a violation prints the seed, the invariant and the events that led to it. Exit 1 on any.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { ensureEngines } from '../engine';
import { startDevServer } from '../engine/dev-server-tuning';
import { adminState } from '../sandbox/admin-routes';
import { LIE_KINDS, type LieKind } from '../sandbox/adversary';
import { seededRandom, hashString } from '../sandbox/rng';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { SANDBOX_PROFILES, type SandboxProfile } from '../sandbox/profile';
import { loadPipelineFile } from '../src/cli/pipeline-file';
import { failureCause } from '../src/cli/follow';
import { servingSlots } from '../src/clients/serving-slots';
import { pipelineWorkflowId, type PipelineSpec } from '../src/domain/pipeline-input';
import { upsertCleanupSchedule } from '../src/schedules/cleanup-schedule';
import { protectionRegistryId } from '../src/workflows/protection/contract';
import { servingSlotId } from '../src/workflows/serving-slot/contract';
import { statusQuery, type PipelineResult, type PipelineStatus } from '../src/workflows/pipeline/contract';
import { fineTuneToDeploy } from '../src/workflows';
import { writeWorkflowBundle } from '../scripts/bundle-workflows';
import { flag, option } from '../bench/report';
import {
  checkInvariants,
  describeViolation,
  stallStops,
  INVARIANTS,
  type EndState,
  type InvariantId,
  type PipelineEnd,
  type Violation,
  type SupervisionEnd,
} from './invariants';
import { operatorActions } from './operator';
import { supervisionOf } from './supervision-history';
import type { ChaosPipeline } from './plan';
import { starterCli, workerProcess, type ProviderKeys } from './processes';
import { connectionInterceptors } from '../src/config/grpc-interceptors';

/** Accidents on the Temporal side the harness causes (drawn per seed from those allowed). */
export const ACCIDENT_DESCRIPTIONS = {
  killWorker:
    'The trial’s worker process SIGKILLed once or twice at a random moment, restarted half a second later.',
  terminateChild:
    'A pipeline’s running child workflow (its supervision or cleanup) terminated, as an operator does with a workflow that looks stuck.',
  terminateRegistry: 'The task queue’s protection registry workflow terminated mid-run.',
  terminateSlot: 'A pipeline name’s serving-slot workflow terminated mid-run.',
  restartServer:
    'The Temporal server (persisted to a file) restarted once, mid-way through a batch of seeds.',
} as const;
export const ACCIDENT_KINDS = Object.keys(ACCIDENT_DESCRIPTIONS) as (keyof typeof ACCIDENT_DESCRIPTIONS)[];
export type AccidentKind = keyof typeof ACCIDENT_DESCRIPTIONS;

/** What the operator does (drawn per seed), each through the starter CLI. */
export const OPERATOR_DESCRIPTIONS = {
  pin: 'Pins the endpoint pipeline’s first automatic checkpoint while it trains (`starter pin`), which retention would delete.',
  approve:
    'Approves the gated pipeline a few seconds after it waits at its gate (`starter approve`), while the cleanup Schedule fires.',
  cancel:
    'Cancels the registry or the TensorMesh pipeline at a random moment (`starter cancel`), in 40 % of trials.',
  rollback:
    'Rolls the endpoint pipeline’s name back to its first deployment while it drains after the retrain (`starter rollback`), in half the trials.',
} as const;
export const OPERATOR_KINDS = Object.keys(OPERATOR_DESCRIPTIONS) as (keyof typeof OPERATOR_DESCRIPTIONS)[];

const EXAMPLES = [
  { key: 'endpoint', file: 'examples/pipeline.yaml' },
  { key: 'gated', file: 'examples/pipeline-gated.yaml' },
  { key: 'registry', file: 'examples/pipeline-registry.yaml' },
  { key: 'mesh', file: 'examples/pipeline-tensormesh.yaml' },
] as const;

const repo = path.resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) =>
  process.stderr.write(`adversary ${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** `1..5`, `3`, `1,4,9`. */
export function parseSeeds(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const range = /^(\d+)\.\.(\d+)$/.exec(part.trim());
    if (range) {
      const [lo, hi] = [Number(range[1]), Number(range[2])];
      return Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => lo + i);
    }
    if (!/^\d+$/.test(part.trim()))
      throw new Error(`--seeds: "${part}" is not a seed or a range such as 1..20`);
    return [Number(part)];
  });
}

function listOption<T extends string>(name: string, all: readonly T[]): T[] {
  const text = option(name);
  if (text === undefined) return [...all];
  if (text === '' || text === 'none') return [];
  const items = text.split(',').map((s) => s.trim()) as T[];
  const unknown = items.filter((i) => !all.includes(i));
  if (unknown.length) {
    process.stderr.write(`--${name}: ${unknown.join(', ')} not among ${all.join(', ')}\n`);
    process.exit(2);
  }
  return items;
}

/** One seed on one profile: its own sandbox, task queue and worker process on the shared dev server. */
interface Trial {
  seed: number;
  profile: SandboxProfile;
}

interface TrialReport {
  seed: number;
  profile: SandboxProfile;
  pipelines: number;
  outcomes: Record<string, number>;
  liesByKind: Partial<Record<LieKind, number>>;
  accidents: Partial<Record<AccidentKind, number>>;
  operator: Record<string, number>;
  violations: Violation[];
  /** Stops for a stall I10 judged (the gated pipeline's stalled job is stopped in every trial it trains in). */
  stallStops: number;
  /** Pipelines that failed or did not end, with why: not a violation, but what a user would see. */
  failures: string[];
  seconds: number;
}

const KEYS: ProviderKeys = {
  tensorone: 'adv-t1-key-3c8e1d7f9a',
  tensormesh: 'adv-tm-key-5b2a9e0d4c',
  marqtune: 'adv-mq-key-8f7e6d5c4b',
  hfToken: 'hf_advTokenZ9y8X7w6V5u4',
};
const SECRETS = [...Object.values(KEYS), 'signature=', 'tm-serve-', 'tmk_'];

interface Shared {
  client: Client;
  address: string;
  bundle: string;
  dir: string;
  kinds: LieKind[];
  accidents: AccidentKind[];
  operatorKinds: string[];
  maxRps?: number;
  /** A folder for each trial's end state. */
  keep?: string;
  epochMs: number;
  deadlineMs: number;
}

/**
 * The gated pipeline's job stalls once (no step progress while "running") at this epoch, and its
 * supervision's `stallAfter` is the shortest a pipeline file allows: the supervision must stop and
 * resume it within the trial, and I10 judges that stop against the job's true progress. A stalled job
 * bills on (an epoch of the sandbox's clock is a GPU-hour, $8.50 on an h100), so its `budget.maxCost` is
 * raised: otherwise a look held up (a killed worker's watch waits out its timeout) finds the budget
 * spent before it finds the stall, and the job is stopped for its cost instead.
 */
export const STALL = { key: 'gated', atEpoch: 3, stallAfter: '10s', maxCost: 5000 } as const;

const trialPrefix = (trial: Trial) => `adv${trial.seed}${trial.profile === 'documented' ? 'd' : 'e'}`;

/** The pipelines of one trial: the four examples, shortened to the sandbox's clock, and a retrain of the first. */
function trialPipelines(trial: Trial, random: () => number) {
  const prefix = trialPrefix(trial);
  const specs = EXAMPLES.map(({ key, file }) => {
    const spec = loadPipelineFile(path.join(repo, file));
    const name = `${prefix}-${key}`;
    // Long enough that looks (every second or so) land while the job trains; the endpoint pipeline's
    // longest, so that the operator's pin (a CLI start on busy cores) lands while it trains.
    const epochs = (key === 'endpoint' ? 24 : 8) + Math.floor(random() * 13);
    const train =
      spec.train.kind === 'tensorone'
        ? {
            ...spec.train,
            config: {
              ...spec.train.config,
              training: { ...(spec.train.config.training as Record<string, unknown>), epochs },
            },
          }
        : spec.train;
    return {
      key,
      name,
      workflowId: pipelineWorkflowId(name),
      input: {
        ...spec,
        name,
        train,
        cleanup: { ...spec.cleanup, retention: { keepLastN: 1 } },
        ...(spec.gate?.approval
          ? { gate: { ...spec.gate, approval: { ...spec.gate.approval, timeout: '10m' } } }
          : {}),
        ...(key === STALL.key
          ? {
              supervision: { ...spec.supervision, stallAfter: STALL.stallAfter },
              budget: { ...spec.budget, maxCost: STALL.maxCost },
            }
          : {}),
      } as PipelineSpec,
    };
  });
  const first = specs[0];
  const retrain = {
    key: 'retrain',
    name: first.name,
    workflowId: `${first.workflowId}-r2`,
    input: {
      ...first.input,
      train: { ...first.input.train, datasetId: 'ds_support_tickets_2026_v2' },
      gate: { ...first.input.gate, compareWithChampion: false },
      deploy: { ...first.input.deploy, retireAfter: '20s' },
    } as PipelineSpec,
  };
  return { specs, retrain };
}

/** The steps a workflow took, from its history: activities, children, operator commands, the end. */
function stepsOf(history: temporal.api.history.v1.IHistory | undefined): string[] {
  const steps: string[] = [];
  const push = (s: string) => {
    const last = steps.at(-1);
    const m = last && /^(.*?)(?: ×(\d+))?$/.exec(last);
    if (m && m[1] === s) steps[steps.length - 1] = `${s} ×${Number(m[2] ?? 1) + 1}`;
    else steps.push(s);
  };
  const types = new Map<string, string>();
  for (const e of history?.events ?? []) {
    const id = String(e.eventId ?? '');
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) types.set(id, scheduled.activityType?.name ?? '?');
    if (e.activityTaskCompletedEventAttributes)
      push(
        `${types.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) ?? 'activity'} done`,
      );
    if (e.activityTaskFailedEventAttributes) {
      const a = e.activityTaskFailedEventAttributes;
      push(
        `${types.get(String(a.scheduledEventId)) ?? 'activity'} failed: ${a.failure?.message?.slice(0, 160)}`,
      );
    }
    if (e.activityTaskTimedOutEventAttributes) push('activity timed out');
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child) push(`child ${child.workflowType?.name} ${child.workflowId}`);
    if (e.childWorkflowExecutionFailedEventAttributes)
      push(`child failed: ${e.childWorkflowExecutionFailedEventAttributes.failure?.message?.slice(0, 160)}`);
    if (e.childWorkflowExecutionTerminatedEventAttributes) push('child terminated');
    if (e.workflowExecutionSignaledEventAttributes)
      push(`signal ${e.workflowExecutionSignaledEventAttributes.signalName}`);
    if (e.workflowExecutionUpdateAcceptedEventAttributes)
      push(`update ${e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name}`);
    if (e.workflowExecutionFailedEventAttributes)
      push(`failed: ${e.workflowExecutionFailedEventAttributes.failure?.message?.slice(0, 200)}`);
    if (e.workflowExecutionCompletedEventAttributes) push('completed');
    if (e.workflowExecutionTerminatedEventAttributes) push('terminated');
  }
  return steps;
}

/**
 * What the operator and the harness do in one trial, and when: drawn at once from the trial's seed, so
 * the same seed and options plan the same trial however the run's moments interleave.
 */
function trialPlan(random: () => number, shared: Pick<Shared, 'accidents' | 'operatorKinds' | 'kinds'>) {
  const wants = (kind: string, chance: number) =>
    (shared.accidents.includes(kind as AccidentKind) || shared.operatorKinds.includes(kind)) &&
    random() < chance;
  const ms = (from: number, span: number) => from + Math.floor(random() * span);
  return {
    approveAfterMs: ms(3000, 15_000),
    // The registry (2) or the TensorMesh (3) pipeline.
    cancel: wants('cancel', 0.4)
      ? { victim: 2 + Math.floor(random() * 2), afterMs: ms(2000, 20_000) }
      : undefined,
    rollback: wants('rollback', 0.5)
      ? {
          afterMs: ms(0, 10_000),
          deleteFormerByHand: shared.kinds.includes('deletedByHand') && random() < 0.5,
        }
      : undefined,
    killsAtMs: wants('killWorker', 0.7)
      ? Array.from({ length: 1 + Math.floor(random() * 2) }, () => ms(3000, 40_000)).sort((a, b) => a - b)
      : [],
    terminateChild: wants('terminateChild', 0.4)
      ? { victim: Math.floor(random() * 4), afterMs: ms(2000, 15_000) }
      : undefined,
    terminateRegistryAfterMs: wants('terminateRegistry', 0.5) ? ms(5000, 25_000) : undefined,
    terminateSlot: wants('terminateSlot', 0.4)
      ? { victim: Math.floor(random() * 4), afterMs: ms(10_000, 40_000) }
      : undefined,
  };
}

async function runTrial(trial: Trial, shared: Shared): Promise<TrialReport> {
  const started = Date.now();
  const label = `seed ${trial.seed} ${trial.profile}`;
  const random = seededRandom(hashString(`adversary-trial:${trial.seed}:${trial.profile}`));
  const taskQueue = `adversary-${trial.seed}-${trial.profile}`;
  const requestTimes: number[] = [];
  const sandboxLog: string[] = [];
  const sandbox: Sandbox = await startSandbox({
    epochMs: shared.epochMs,
    queueMs: shared.epochMs / 2,
    deployMs: shared.epochMs,
    seed: trial.seed,
    profile: trial.profile,
    unknownRoute: 'invalid-method',
    keys: { tensorone: KEYS.tensorone, tensormesh: KEYS.tensormesh, marqtune: KEYS.marqtune },
    adversary: { seed: trial.seed, kinds: shared.kinds },
    faults: { stallAtEpoch: STALL.atEpoch, stallJobNameContains: `${trialPrefix(trial)}-${STALL.key}` },
    log: (l) => sandboxLog.push(l),
    onRequest: (r) => {
      if (r.path.startsWith('/tensorone/')) requestTimes.push(Date.now());
    },
  });
  const worker = workerProcess({
    address: shared.address,
    taskQueue,
    bundle: shared.bundle,
    sandbox,
    keys: KEYS,
    env: shared.maxRps ? { TENSORONE_MAX_RPS: String(shared.maxRps) } : {},
  });
  worker.start();
  const cliLog: string[] = [];
  const cli = starterCli({
    address: () => shared.address,
    taskQueue,
    log: cliLog,
    say: (l) => say(`${label}: ${l}`),
    stopOnRefusal: true,
  });
  const client = () => shared.client;
  const { specs, retrain } = trialPipelines(trial, random);
  const plan = trialPlan(random, shared);
  const all = [...specs, retrain];
  const asChaos = (p: (typeof all)[number]): ChaosPipeline => ({
    name: p.name,
    workflowId: p.workflowId,
    via: 'client',
    deploy: 'tensorone-endpoint',
    failsOnce: false,
    approval: p.key === 'gated',
    pin: p.key === 'endpoint',
    spuriousStatus: false,
  });
  const start = async (p: (typeof all)[number]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client().workflow.start(fineTuneToDeploy, {
          args: [p.input],
          taskQueue,
          workflowId: p.workflowId,
        });
        return;
      } catch (err) {
        if (attempt === 5) throw err;
        await sleep(2000); // the server may be restarting
      }
    }
  };
  const operator = operatorActions({
    startPipeline: (p) => start(all.find((q) => q.workflowId === p.workflowId)!),
    cli,
    client,
    sandbox,
    heldCreateMs: 5000,
    approveAfterMs: plan.approveAfterMs,
    say: (l) => say(`${label}: ${l}`),
  });
  const operatorDone: Record<string, number> = {};
  const did = (what: string) => (operatorDone[what] = (operatorDone[what] ?? 0) + 1);
  const accidents: Partial<Record<AccidentKind, number>> = {};
  const accident = (kind: AccidentKind) => (accidents[kind] = (accidents[kind] ?? 0) + 1);

  const scheduleId = `adversary-cleanup-${trial.seed}-${trial.profile}`;
  await upsertCleanupSchedule(client(), {
    scheduleId,
    taskQueue,
    every: '15s',
    input: { jobFilter: { status: 'completed' }, retention: { keepLastN: 1 } },
    note: 'adversary: cleanup while pipelines gate, await approval and deploy',
  });

  const ended = async (workflowId: string, until: number) => {
    while (Date.now() < until) {
      const closed = await client()
        .workflow.getHandle(workflowId)
        .describe()
        .then((d) => d.status.name !== 'RUNNING')
        .catch(() => false);
      if (closed) return true;
      await sleep(1000);
    }
    return false;
  };
  const deadline = Date.now() + shared.deadlineMs;
  const acting: Promise<unknown>[] = [];
  for (const p of specs) {
    await start(p);
    say(`${label}: started ${p.workflowId}`);
  }
  // ---- the operator, as drawn for this seed ----
  const byKey = (k: string) => asChaos(all.find((p) => p.key === k)!);
  if (shared.operatorKinds.includes('pin'))
    acting.push(
      operator.pinFirstCheckpoint(byKey('endpoint')).then(() => operator.record.pins.length && did('pin')),
    );
  if (shared.operatorKinds.includes('approve'))
    acting.push(
      operator.approveLater(byKey('gated')).then(() => operator.record.approvals.length && did('approve')),
    );
  if (plan.cancel) {
    const victim = specs[plan.cancel.victim];
    acting.push(
      sleep(plan.cancel.afterMs).then(async () => {
        if ((await cli(['cancel', victim.workflowId, '--reason', `adversary seed ${trial.seed}`])) === 0)
          did('cancel');
      }),
    );
  }
  // The retrain: once the first run ended; the operator may roll back while the first deployment drains.
  acting.push(
    (async () => {
      // Never after the deadline: the trial's end state is read then, and a retrain started meanwhile
      // would create a job whose run the reading found not started.
      if (!(await ended(specs[0].workflowId, deadline)))
        return say(
          `${label}: ${retrain.workflowId} not started: ${specs[0].workflowId} ran past the deadline`,
        );
      await start(retrain);
      say(`${label}: started ${retrain.workflowId}`);
      if (!plan.rollback) return;
      if (!(await ended(retrain.workflowId, deadline))) return;
      await sleep(plan.rollback.afterMs);
      // Someone at the provider's console deletes the deployment the rollback would restore.
      const draining = (
        await servingSlots(client(), taskQueue)
          .read(retrain.name)
          .catch(() => undefined)
      )?.draining.at(-1)?.deploymentId;
      if (plan.rollback.deleteFormerByHand && draining && sandbox.state.adversary) {
        sandbox.state.endpoints.delete(draining);
        sandbox.state.adversary.record(
          'deletedByHand',
          'the provider console',
          draining,
          'before a rollback',
        );
      }
      const code = await cli(['rollback', retrain.name, '--reason', `adversary seed ${trial.seed}`]);
      did(code === 0 ? 'rollback' : 'rollback refused');
    })(),
  );
  // ---- Temporal-side accidents ----
  if (plan.killsAtMs.length)
    acting.push(
      (async () => {
        let at = 0;
        for (const m of plan.killsAtMs) {
          await sleep(m - at);
          at = m;
          worker.kill();
          accident('killWorker');
          say(`${label}: worker killed`);
          await sleep(500);
          worker.start();
        }
      })(),
    );
  const terminate = async (kind: AccidentKind, workflowId: string) => {
    const done = await client()
      .workflow.getHandle(workflowId)
      .terminate(`adversary seed ${trial.seed}: ${kind}`)
      .then(() => true)
      .catch(() => false);
    if (done) {
      accident(kind);
      say(`${label}: terminated ${workflowId}`);
    }
  };
  if (plan.terminateChild) {
    const victim = specs[plan.terminateChild.victim];
    acting.push(
      sleep(plan.terminateChild.afterMs).then(async () => {
        const desc = await client()
          .workflow.getHandle(victim.workflowId)
          .describe()
          .catch(() => undefined);
        const childId = desc?.raw.pendingChildren?.[0]?.workflowId;
        if (childId) await terminate('terminateChild', childId);
      }),
    );
  }
  if (plan.terminateRegistryAfterMs !== undefined)
    acting.push(
      sleep(plan.terminateRegistryAfterMs).then(() =>
        terminate('terminateRegistry', protectionRegistryId(taskQueue)),
      ),
    );
  if (plan.terminateSlot)
    acting.push(
      sleep(plan.terminateSlot.afterMs).then(() =>
        terminate('terminateSlot', servingSlotId(specs[plan.terminateSlot!.victim].name, taskQueue)),
      ),
    );

  // ---- every pipeline ends (or the deadline passes) ----
  await Promise.race([Promise.all(acting), sleep(Math.max(0, deadline - Date.now()))]);
  for (const p of all) await ended(p.workflowId, deadline);
  // The retrain's former deployment drains 20 s, then is retired: let that settle.
  const slots = servingSlots(client(), taskQueue);
  const settleBy = Math.min(deadline, Date.now() + 40_000);
  const names = [...new Set(all.map((p) => p.name))];
  const slotStates: EndState['slots'] = [];
  for (const name of names) {
    let state = await slots.read(name).catch(() => undefined);
    while (state && (state.draining.length || state.retiring.length) && Date.now() < settleBy) {
      await sleep(1000);
      state = await slots.read(name).catch(() => undefined);
    }
    slotStates.push({ name, state });
  }
  const pipelines: PipelineEnd[] = [];
  const supervisions: SupervisionEnd[] = [];
  const histories: { source: string; text: string }[] = [];
  const historyOf = async (workflowId: string, runId?: string) => {
    const h = await client()
      .workflow.getHandle(workflowId, runId)
      .fetchHistory()
      .catch(() => undefined);
    if (h) histories.push({ source: `history of ${workflowId}`, text: JSON.stringify(h) });
    return h;
  };
  for (const p of all) {
    const handle: WorkflowHandle = client().workflow.getHandle(p.workflowId);
    const desc = await handle.describe().catch(() => undefined);
    const closeStatus = desc?.status.name ?? 'NOT_STARTED';
    let result: PipelineResult | undefined;
    let failure: string | undefined;
    if (closeStatus === 'COMPLETED')
      result = (await handle.result().catch(() => undefined)) as PipelineResult;
    else if (closeStatus !== 'RUNNING' && desc)
      failure = await handle.result().then(
        () => undefined,
        (err: unknown) => failureCause(err),
      );
    const last = (await handle.query(statusQuery).catch(() => undefined)) as PipelineStatus | undefined;
    const history = await historyOf(p.workflowId);
    // Each child run: a child terminated by an accident and started again under its id has two.
    const childRuns = (history?.events ?? []).flatMap((e) => {
      const run = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      return run?.workflowId ? [{ workflowId: run.workflowId, runId: run.runId ?? undefined }] : [];
    });
    for (const childId of (history?.events ?? []).flatMap(
      (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [],
    ))
      if (!childRuns.some((r) => r.workflowId === childId))
        childRuns.push({ workflowId: childId, runId: undefined });
    for (const run of childRuns) {
      const supervision = supervisionOf(run.workflowId, await historyOf(run.workflowId, run.runId));
      if (supervision) supervisions.push(supervision);
    }
    pipelines.push({
      workflowId: p.workflowId,
      name: p.name,
      closeStatus,
      closedAt: desc?.closeTime?.getTime(),
      result,
      last,
      failure,
      steps: stepsOf(history),
    });
  }
  const schedule = client().schedule.getHandle(scheduleId);
  const scheduleInfo = await schedule
    .describe()
    .then((d) => d.info)
    .catch(() => undefined);
  for (const a of scheduleInfo?.recentActions ?? []) await historyOf(a.action.workflow.workflowId);
  await schedule.delete().catch(() => undefined);
  await cli(['list']);
  worker.kill();
  const provider = adminState(sandbox.state);
  await sandbox.close();
  // Whatever still runs on this task queue is stopped, so the next trial's load is its own.
  for (const p of pipelines.filter((x) => x.closeStatus === 'RUNNING'))
    await client()
      .workflow.getHandle(p.workflowId)
      .terminate('adversary: deadline')
      .catch(() => undefined);

  const end: EndState = {
    seed: trial.seed,
    profile: trial.profile,
    provider,
    pipelines,
    supervisions,
    slots: slotStates,
    operator: { pins: operator.record.pins, retired: [] },
    texts: [
      ...histories,
      { source: 'worker log', text: worker.log.join('') },
      { source: 'sandbox log', text: sandboxLog.join('\n') },
      { source: 'CLI output', text: cliLog.join('') },
    ],
    secrets: SECRETS,
    ...(shared.maxRps ? { rateLimit: { maxRps: shared.maxRps, requestTimes } } : {}),
  };
  // `--keep DIR`: each trial's end state, to check again (or read) without running it again.
  if (shared.keep)
    fs.writeFileSync(path.join(shared.keep, `seed-${trial.seed}-${trial.profile}.json`), JSON.stringify(end));
  const violations = checkInvariants(end);
  // The report itself is scanned too: it quotes failures and steps.
  const reportText = violations.map((v) => describeViolation(end, v)).join('\n');
  violations.push(
    ...checkInvariants(
      { ...end, texts: [{ source: 'adversary report', text: reportText + JSON.stringify(pipelines) }] },
      ['I8'],
    ),
  );
  for (const v of violations) process.stdout.write(`${describeViolation(end, v)}\n`);
  const outcomes: Record<string, number> = {};
  for (const p of pipelines) {
    const o = p.result?.outcome ?? p.closeStatus.toLowerCase();
    outcomes[o] = (outcomes[o] ?? 0) + 1;
  }
  if (pipelines.some((p) => p.closeStatus === 'RUNNING'))
    say(
      `${label}: unfinished at the deadline: ${pipelines
        .filter((p) => p.closeStatus === 'RUNNING')
        .map((p) => p.workflowId)
        .join(', ')}`,
    );
  const report: TrialReport = {
    seed: trial.seed,
    profile: trial.profile,
    pipelines: pipelines.length,
    outcomes,
    liesByKind: provider.adversary?.liesByKind ?? {},
    accidents,
    operator: operatorDone,
    violations,
    stallStops: stallStops(end).length,
    failures: pipelines
      .filter((p) => p.closeStatus !== 'COMPLETED')
      .map(
        (p) =>
          `${p.workflowId} ${p.closeStatus.toLowerCase()}${p.failure ? `: ${p.failure.slice(0, 300)}` : ''}`,
      ),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  say(
    `${label}: ${report.seconds} s, ${JSON.stringify(outcomes)}, lies ${JSON.stringify(report.liesByKind)}, accidents ${JSON.stringify(accidents)}, operator ${JSON.stringify(operatorDone)}, ${violations.length} violations`,
  );
  return report;
}

async function main(): Promise<void> {
  const started = Date.now();
  const bounded = flag('bounded');
  let seeds: number[];
  try {
    seeds = parseSeeds(option('seeds') ?? (bounded ? '1..2' : '1..10'));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const profiles = listOption('profiles', SANDBOX_PROFILES);
  const shared: Omit<Shared, 'client' | 'address' | 'bundle' | 'dir'> = {
    kinds: listOption('kinds', LIE_KINDS),
    accidents: listOption('accidents', ACCIDENT_KINDS),
    operatorKinds: listOption('operator', OPERATOR_KINDS),
    maxRps: option('max-rps') ? Number(option('max-rps')) : undefined,
    keep: option('keep'),
    epochMs: Number(option('epoch-ms') ?? 400),
    deadlineMs: Number(option('trial-minutes') ?? 6) * 60_000,
  };
  const parallel = Math.max(1, Number(option('parallel') ?? 2));
  if (shared.keep) fs.mkdirSync(shared.keep, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftp-adversary-'));
  const bundle = path.join(dir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const port = 19000 + Math.floor(Math.random() * 2000);
  const address = `127.0.0.1:${port}`;
  const { devServer } = await ensureEngines({ testServer: false });
  const startServer = () =>
    startDevServer(devServer!, { port, uiPort: port + 1000, dbFilename: path.join(dir, 'temporal.db') });
  let server = await startServer();
  const connect = async () =>
    new Client({ connection: await Connection.connect({ address, interceptors: connectionInterceptors() }) });
  const ctx: Shared = { ...shared, client: await connect(), address, bundle, dir };

  const trials: Trial[] = seeds.flatMap((seed) => profiles.map((profile) => ({ seed, profile })));
  const reports: TrialReport[] = [];
  let serverRestarts = 0;
  // `--until 15:20` (UTC): no batch starts after then; the seeds run so far are reported.
  const until = option('until');
  const stopAt = until ? Date.parse(`${new Date().toISOString().slice(0, 10)}T${until}:00Z`) : Infinity;
  for (let i = 0; i < trials.length; i += parallel) {
    if (Date.now() > stopAt) {
      say(`--until ${until}: ${trials.length - i} trials not started`);
      seeds = [...new Set(trials.slice(0, i).map((t) => t.seed))];
      break;
    }
    const batch = trials.slice(i, i + parallel);
    const running = Promise.all(batch.map((t) => runTrial(t, ctx)));
    // One server restart per batch whose seeds draw it (the first of the batch decides), mid-way.
    const restart =
      shared.accidents.includes('restartServer') &&
      seededRandom(hashString(`adversary-restart:${batch[0].seed}:${batch[0].profile}`))() < 0.3;
    if (restart) {
      const at = sleep(20_000).then(async () => {
        say('restarting the server');
        await server.teardown();
        server = await startServer();
        ctx.client = await connect();
        serverRestarts += 1;
      });
      await Promise.all([running.then((r) => reports.push(...r)), at]);
      const last = reports.at(-1);
      if (last) last.accidents.restartServer = 1;
    } else reports.push(...(await running));
  }
  await server.teardown();
  fs.rmSync(dir, { recursive: true, force: true });

  const sum = <K extends string>(pick: (r: TrialReport) => Partial<Record<K, number>>) => {
    const out: Partial<Record<K, number>> = {};
    for (const r of reports)
      for (const [k, v] of Object.entries(pick(r)) as [K, number][]) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const violationsPer: Record<InvariantId, number> = Object.fromEntries(
    INVARIANTS.map((i) => [i.id, 0]),
  ) as Record<InvariantId, number>;
  for (const r of reports) for (const v of r.violations) violationsPer[v.invariant] += 1;
  const summary = {
    seeds: seeds.length,
    profiles,
    trials: reports.length,
    pipelineRuns: reports.reduce((a, r) => a + r.pipelines, 0),
    outcomes: sum((r) => r.outcomes),
    liesByKind: sum((r) => r.liesByKind),
    accidents: { ...sum((r) => r.accidents), restartServer: serverRestarts },
    operator: sum((r) => r.operator),
    stallStops: reports.reduce((a, r) => a + r.stallStops, 0),
    violationsPerInvariant: violationsPer,
    failures: reports.flatMap((r) => r.failures.map((f) => `seed ${r.seed} ${r.profile}: ${f}`)),
    violations: reports.flatMap((r) =>
      r.violations.map((v) => ({
        seed: r.seed,
        profile: r.profile,
        invariant: v.invariant,
        subject: v.subject,
        what: v.what,
      })),
    ),
    kinds: shared.kinds,
    accidentKinds: shared.accidents,
    maxRps: shared.maxRps,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  process.stdout.write(
    `adversary: ${summary.trials} trials (${summary.seeds} seeds × ${profiles.join(', ')}), ${summary.pipelineRuns} pipeline runs in ${summary.seconds} s (load ${summary.loadAverage.join(' ')})\n` +
      `  outcomes ${JSON.stringify(summary.outcomes)}\n  lies ${JSON.stringify(summary.liesByKind)}\n` +
      `  accidents ${JSON.stringify(summary.accidents)}\n  operator ${JSON.stringify(summary.operator)}\n` +
      `  stops for a stall judged by I10: ${summary.stallStops}\n` +
      `  violations per invariant ${JSON.stringify(violationsPer)}\n` +
      summary.failures.map((f) => `  ${f}\n`).join(''),
  );
  if (flag('json')) process.stdout.write(`ADVERSARY_SUMMARY ${JSON.stringify(summary)}\n`);
  process.exit(summary.violations.length ? 1 : 0);
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
