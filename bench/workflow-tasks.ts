/**
 * Where a pipeline's workflow tasks spend their time: for each workflow of one pipeline (and its
 * children), each workflow task's wait on the task queue (scheduled → started) and the worker's run
 * (started → completed), and the commands it sent, first tasks apart from later ones (tuned dev server,
 * zero-latency sandbox). `--variant NAME` varies the worker (VARIANTS); `debug` runs the workflows on
 * the main thread, so a CPU profile sees them:
 *   npx tsx bench/workflow-tasks.ts [--runs N] [--variant NAME] [--detail] [--raw-start]
 *   node --import tsx --cpu-prof --cpu-prof-dir=prof bench/workflow-tasks.ts --variant debug
 */
import type { temporal } from '@temporalio/proto';
import type { WorkerOptions } from '@temporalio/worker';
import { devServerTuningArgs } from '../engine/dev-server-tuning';
import { startBenchBed } from './bed';
import { fastSupervision, pipelineInput, tensoroneTrain } from '../fixtures/pipelines';
import { childIds } from './breakdown';
import { percentile } from './report';
import { fineTuneToDeploy } from '../src/workflows';
import { parsePipelineInput } from '../src/domain/pipeline-input';
import { validatedInputMemo } from '../src/domain/validated-input';

type Event = temporal.api.history.v1.IHistoryEvent;
const at = (e: Event) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** Worker options tried against the shipped settings (src/config/worker-config.ts). */
const VARIANTS: Record<string, Partial<WorkerOptions>> = {
  shipped: {},
  'no-reuse-v8': { reuseV8Context: false },
  'no-cache': { maxCachedWorkflows: 0 },
  debug: { debugMode: true },
  'threads-2': { workflowThreadPoolSize: 2 },
};

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

interface Task {
  workflow: string;
  index: number;
  /** The event that woke the task (the one before its scheduling), or `start`. */
  after: string;
  queuedMs: number;
  runMs: number;
  commands: number;
}

/** An event's kind (its attributes' name), with the activity it concerns where there is one. */
function eventName(e: Event, activities: Map<string, string>): string {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof Event]);
  const kind = key ? key.replace(/EventAttributes$/, '') : '?';
  const attrs = key ? (e[key as keyof Event] as { scheduledEventId?: unknown }) : undefined;
  const activity =
    attrs?.scheduledEventId !== undefined ? activities.get(String(attrs.scheduledEventId)) : undefined;
  return activity ? `${kind} ${activity}` : kind;
}

function tasksOf(events: Event[]): Task[] {
  const workflow = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?';
  const tasks: Task[] = [];
  let scheduled = NaN;
  let started = NaN;
  let after = 'start';
  const activities = new Map<string, string>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const scheduledActivity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduledActivity) activities.set(String(e.eventId), scheduledActivity);
    if (e.workflowTaskScheduledEventAttributes) {
      scheduled = at(e);
      after = i > 0 ? eventName(events[i - 1], activities) : 'start';
    }
    if (e.workflowTaskStartedEventAttributes) started = at(e);
    if (e.workflowTaskCompletedEventAttributes) {
      let commands = 0;
      for (let j = i + 1; j < events.length && !events[j].workflowTaskScheduledEventAttributes; j++) {
        const t = events[j];
        if (
          t.activityTaskScheduledEventAttributes ||
          t.startChildWorkflowExecutionInitiatedEventAttributes ||
          t.markerRecordedEventAttributes ||
          t.upsertWorkflowSearchAttributesEventAttributes ||
          t.workflowPropertiesModifiedEventAttributes ||
          t.timerStartedEventAttributes ||
          t.workflowExecutionCompletedEventAttributes ||
          t.workflowExecutionUpdateAcceptedEventAttributes ||
          t.workflowExecutionUpdateCompletedEventAttributes ||
          t.signalExternalWorkflowExecutionInitiatedEventAttributes
        )
          commands++;
      }
      tasks.push({
        workflow,
        index: tasks.length,
        after,
        queuedMs: started - scheduled,
        runMs: at(e) - started,
        commands,
      });
    }
  }
  return tasks;
}

async function main(): Promise<void> {
  const runs = Number(arg('runs') ?? 6);
  const variant = arg('variant') ?? 'shipped';
  const rawStart = process.argv.includes('--raw-start');
  const bed = await startBenchBed(
    'bench-wft',
    { epochMs: 1, queueMs: 0, deployMs: 0, seed: 1 },
    VARIANTS[variant],
    { devServerArgs: devServerTuningArgs() },
  );
  const train = tensoroneTrain({ config: { training: { epochs: 4 } } });
  const all: Task[] = [];
  const walls: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const input = pipelineInput(`wft-${i}`, {
      train,
      supervision: fastSupervision,
      deploy: { target: 'tensorone-endpoint', timeout: '1m' },
    });
    const t = performance.now();
    // Started as the starter starts a pipeline: the spec it validated, and the memo saying so (with
    // `--raw-start`, as a client that bypasses the starter: the workflow validates the input itself).
    await bed.env.client.workflow.execute(fineTuneToDeploy, {
      ...(rawStart ? { args: [input] } : { args: [parsePipelineInput(input)], memo: validatedInputMemo() }),
      taskQueue: 'bench-wft',
      workflowId: `bench-wft-${i}`,
    });
    if (i === 0) continue;
    walls.push(performance.now() - t);
    const pending = [`bench-wft-${i}`];
    while (pending.length) {
      const events = (await bed.env.client.workflow.getHandle(pending.pop()!).fetchHistory()).events ?? [];
      all.push(...tasksOf(events));
      pending.push(...childIds(events));
    }
  }
  await bed.close();
  const rows: string[] = [];
  const groups = new Map<string, Task[]>();
  for (const t of all) {
    const key = `${t.workflow} ${t.index === 0 ? 'first' : 'later'}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  for (const [key, ts] of groups) {
    const perRun = ts.length / runs;
    rows.push(
      `| ${variant} | ${key} | ${perRun.toFixed(1)} | ${percentile(
        ts.map((t) => t.queuedMs),
        50,
      ).toFixed(1)} | ${percentile(
        ts.map((t) => t.runMs),
        50,
      ).toFixed(1)} | ${percentile(
        ts.map((t) => t.commands),
        50,
      )} | ${(ts.reduce((s, t) => s + t.queuedMs + t.runMs, 0) / runs).toFixed(0)} |`,
    );
  }
  process.stdout.write(
    `wall p50 ${percentile(walls, 50).toFixed(0)} ms (${variant})\n| variant | workflow tasks | per run | queued p50 ms | run p50 ms | commands p50 | total ms per run |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
  );
  if (process.argv.includes('--detail')) process.stdout.write(detail(all, runs));
}

/** With `--detail`: each of the pipeline's own tasks in order, medians over the runs, and what woke it. */
function detail(all: Task[], runs: number): string {
  const byIndex = new Map<number, Task[]>();
  for (const t of all)
    if (t.workflow === 'fineTuneToDeploy') byIndex.set(t.index, [...(byIndex.get(t.index) ?? []), t]);
  const rows = [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, ts]) => {
      const woke = [...new Set(ts.map((t) => t.after))].join(' / ');
      const p50 = (f: (t: Task) => number) => percentile(ts.map(f), 50).toFixed(1);
      return `| ${index} | ${woke} | ${ts.length}/${runs} | ${p50((t) => t.queuedMs)} | ${p50((t) => t.runMs)} | ${p50((t) => t.commands)} |`;
    });
  return `| pipeline task | woken by | runs | queued p50 ms | run p50 ms | commands p50 |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
