/**
 * The rules every run must keep, stated once: each a sentence, how it is checked, and the check over a
 * run's end state (the sandbox's `/admin/state`, the workflows' results, last status and histories, the
 * supervisions' stops read from their histories, the serving slots, the operator's record, every log). The adversary (chaos/adversary.ts) checks them
 * after each seed; docs/invariants.md is generated from this list (scripts/invariants-doc.ts).
 */
import type { AdminState } from '../sandbox/admin-routes';
import type { ToldLie } from '../sandbox/adversary';
import type { SlotState } from '../src/decisions/serving-slot';
import type { PipelineResult, PipelineStatus } from '../src/workflows/pipeline/contract';

/** One pipeline run as it ended. */
export interface PipelineEnd {
  workflowId: string;
  /** The pipeline's name (its serving slot's). */
  name: string;
  /** Its workflow's close status: COMPLETED, FAILED, CANCELLED, TERMINATED, RUNNING (not ended)… */
  closeStatus: string;
  /** When it closed (epoch ms), if it did. */
  closedAt?: number;
  result?: PipelineResult;
  /** Its last `status` (candidate, pins, leftovers), also for a run that failed. */
  last?: PipelineStatus;
  /** Why it failed, in the failure's words. */
  failure?: string;
  /** Its steps, from its history: what it did, in order. */
  steps: string[];
}

/** What a supervision (a pipeline's `superviseTrainingJob` child) did to its job, from its history. */
export interface SupervisionEnd {
  workflowId: string;
  jobId: string;
  /** `stallAfter` as its input gave it, and in milliseconds. */
  stallAfter: string;
  stallAfterMs: number;
  /** Its `freshness` in milliseconds: a look may judge figures about this old (a sweep of the list). */
  freshnessMs: number;
  /** Each stop of its job it asked for (chaos/supervision-history.ts). */
  stops: {
    /** When the stop activity was scheduled (server time, epoch ms): the supervision had decided. */
    at: number;
    jobId: string;
    /** The activity's summary: `stop job …, saving a checkpoint: <reason>`. */
    summary: string;
    /** `failed`: the provider refused it (the job had ended), so nothing was stopped. */
    outcome: 'stopped' | 'failed' | 'unfinished';
    detail?: string;
  }[];
}

export interface EndState {
  seed: number;
  profile: string;
  provider: AdminState;
  pipelines: PipelineEnd[];
  /** The pipelines' supervisions, read from their histories (absent in end states kept before I10). */
  supervisions?: SupervisionEnd[];
  /** Each pipeline name's serving slot at the end. */
  slots: { name: string; state?: SlotState }[];
  operator: {
    pins: { workflowId: string; checkpointId: string; at: number }[];
    /** Deployments the operator retired on purpose (`starter retire`), by id. */
    retired: string[];
  };
  /** Every text a secret must not reach: histories, worker and sandbox logs, CLI output, the report. */
  texts: { source: string; text: string }[];
  secrets: string[];
  /** With a provider rate limit set: TensorOne requests' times (epoch ms) and the limit. */
  rateLimit?: { maxRps: number; requestTimes: number[] };
}

export interface Violation {
  invariant: InvariantId;
  /** The pipeline or resource it is about. */
  subject: string;
  what: string;
  /** What led to it: the lies told about the resources involved, the workflow's steps. */
  events: string[];
}

export type InvariantId = 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7' | 'I8' | 'I9' | 'I10';

export interface Invariant {
  id: InvariantId;
  sentence: string;
  /** How the check reads the end state, in words (for the documentation). */
  checkedBy: string;
  check(end: EndState): Violation[];
}

/**
 * How far above the rate limit a 1-second window may go: none. The provider queues are dispatched at
 * half the limit with one partition, so the busiest second is the limit (docs/operations.md, "Set the
 * provider's own limit"); the few requests one attempt makes inside itself are the documented exception.
 */
export const DOCUMENTED_RATE_BURST = 1;

const RUNNING_STATES = ['running', 'pending'];
type Job = AdminState['jobs'][number];

const jobOf = (end: EndState, id: string | undefined): Job | undefined =>
  end.provider.jobs.find((j) => j.id === id);
/** The pipeline whose run created a resource: the product names them `<workflowId>--…`. */
const ownerOf = (end: EndState, name: string): PipelineEnd | undefined =>
  end.pipelines.find((p) => name.startsWith(`${p.workflowId}--`));
const lies = (end: EndState): ToldLie[] => end.provider.adversary?.lies ?? [];
const deployed = (p: PipelineEnd) => p.result?.outcome === 'deployed';

/** Everything a run told the operator about what it left: result and last status, in words. */
function leftoverText(p: PipelineEnd): string {
  const of = (s: PipelineResult | PipelineStatus | undefined) =>
    s
      ? [
          ...(s.stoppedJobs ?? []),
          ...(s.removedDeployments ?? []),
          ...(s.duplicateJobs ?? []),
          ...(s.possibleDuplicates ?? []),
          s.deployment?.removeByHand ?? '',
          s.deployment?.possibleDuplicate?.name ?? '',
        ]
      : [];
  return [...of(p.result), ...of(p.last)].join('\n');
}

/** The lies told about these resources and the pipeline's steps: what a reader needs to see why. */
export function eventsOf(
  end: EndState,
  p: PipelineEnd | undefined,
  resources: (string | undefined)[],
): string[] {
  const ids = resources.filter((r): r is string => !!r);
  const start = lies(end)[0]?.at ?? 0;
  const told = lies(end)
    .filter((l) => l.resource && ids.some((id) => l.resource === id || l.resource!.includes(id)))
    .map(
      (l) =>
        `+${((l.at - start) / 1000).toFixed(1)}s lie ${l.kind} on ${l.route}${l.resource ? ` (${l.resource})` : ''}${l.detail ? `: ${l.detail}` : ''}`,
    );
  const steps = p ? p.steps.map((s) => `${p.workflowId}: ${s}`) : [];
  // Lies on lists and creates name no resource: any of them may have been about this one.
  const unnamed = new Map<string, number>();
  for (const l of lies(end).filter((x) => !x.resource))
    unnamed.set(`${l.kind} on ${l.route}`, (unnamed.get(`${l.kind} on ${l.route}`) ?? 0) + 1);
  const others = [...unnamed].map(([what, n]) => `${what}${n > 1 ? ` ×${n}` : ''}`);
  return [
    ...told,
    ...(others.length ? [`lies naming no resource in this trial: ${others.join(', ')}`] : []),
    ...steps,
    ...(p?.failure ? [`${p.workflowId} failed: ${p.failure}`] : []),
  ];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** When a deployment was deleted by hand (a lie told), if it was. */
const deletedByHandAt = (end: EndState, id: string): number | undefined =>
  lies(end).find((l) => l.kind === 'deletedByHand' && l.resource === id)?.at;

/** What the slot says about a deployment: served until retired (deleted) at, or still serving. */
function retirement(end: EndState, deploymentId: string) {
  for (const s of end.slots) {
    const r = s.state?.retired.find((x) => x.deploymentId === deploymentId);
    if (r) return r;
  }
  return undefined;
}

/** Bytes of a size as the provider shows it (`2.1GB`): what a client can know. */
const shownBytes = (shown: string) => {
  const m = /^([\d.]+)\s*(KB|MB|GB|TB)$/i.exec(shown);
  const unit = { KB: 1, MB: 2, GB: 3, TB: 4 }[(m?.[2] ?? 'GB').toUpperCase() as 'GB'];
  return m ? Math.round(Number(m[1]) * 1024 ** unit) : NaN;
};

/** The stop summary of a supervision that judged its job stalled (src/decisions/supervision.ts, `nextSupervisionStep`). */
const STALL_STOP = /: stalled: no step progress/;
/** The lies that change what a job's step counter shows: a supervision judging them sees no progress. */
const STEP_LIES: readonly string[] = ['stepFreeze', 'stepWobble', 'stepReset'];

/** The stops I10 judges: those a supervision asked for because it judged its job stalled, not refused. */
export function stallStops(end: Pick<EndState, 'supervisions'>) {
  return (end.supervisions ?? []).flatMap((s) =>
    s.stops
      .filter((stop) => STALL_STOP.test(stop.summary) && stop.outcome !== 'failed')
      .map((stop) => ({ supervision: s, stop })),
  );
}

/**
 * When the job's step counter last truly advanced at or before `at` (the sandbox's clock, which is the
 * wall clock unless a test moved it), or undefined when it never ran before then.
 */
export function lastAdvanceBefore(job: Job, at: number): number | undefined {
  const ends = job.advancing.filter((a) => a.from < at).map((a) => Math.min(a.until ?? Infinity, at));
  return ends.length ? Math.max(...ends) : undefined;
}

const deploymentExists = (end: EndState, id: string) =>
  end.provider.endpoints.some((e) => e.id === id) || end.provider.meshModels.some((m) => m.modelId === id);

export const INVARIANTS: Invariant[] = [
  {
    id: 'I1',
    sentence: 'No pipeline ends `deployed` while its training job is running or queued.',
    checkedBy:
      'For each result `deployed`: the provider’s true job status (no lies) is not running or pending, and the job ended (its last epoch’s time) no later than the workflow closed.',
    check: (end) =>
      end.pipelines.filter(deployed).flatMap((p) => {
        const job = jobOf(end, p.result!.jobId);
        if (!job) return [];
        const stillRunning = RUNNING_STATES.includes(job.status);
        const endedAfter = job.endedAt !== undefined && p.closedAt !== undefined && job.endedAt > p.closedAt;
        if (!stillRunning && !endedAfter) return [];
        return [
          {
            invariant: 'I1' as const,
            subject: p.workflowId,
            what: stillRunning
              ? `ended deployed while job ${job.id} is ${job.status} at epoch ${job.completedEpochs} of ${job.totalEpochs}`
              : `ended deployed ${Math.round((job.endedAt! - p.closedAt!) / 1000)} s before job ${job.id} ended (${job.status}, epoch ${job.completedEpochs} of ${job.totalEpochs})`,
            events: eventsOf(end, p, [job.id]),
          },
        ];
      }),
  },
  {
    id: 'I2',
    sentence: 'The deployed artifact is the gated candidate of this run’s own job.',
    checkedBy:
      'For each result `deployed`: its job was created by this run (named after its workflow id), its checkpoint (or registry model) belongs to that job, it is the candidate the run’s status showed, and what the provider serves under the deployment id is that checkpoint or model.',
    check: (end) =>
      end.pipelines.filter(deployed).flatMap((p) => {
        const r = p.result!;
        const wrong: string[] = [];
        const job = jobOf(end, r.jobId);
        const ckptId = r.checkpoint?.checkpointId;
        if (!job || !job.name.startsWith(`${p.workflowId}--`))
          wrong.push(
            `job ${r.jobId} was not created by this run (${job?.name ?? 'unknown to the provider'})`,
          );
        const ckpt =
          end.provider.checkpoints.find((c) => c.id === ckptId) ??
          end.provider.deletedCheckpoints.find((c) => c.id === ckptId);
        if (!ckpt || ckpt.jobId !== r.jobId) wrong.push(`checkpoint ${ckptId} is not of job ${r.jobId}`);
        if (p.last?.candidate && p.last.candidate.checkpointId !== ckptId)
          wrong.push(`deployed ${ckptId}, gated ${p.last.candidate.checkpointId}`);
        const d = r.deployment;
        if (d && r.checkpoint?.registeredModelId) {
          const model = end.provider.registry.find((m) => m.id === r.checkpoint!.registeredModelId);
          if (model && model.trainingJobId !== r.jobId)
            wrong.push(`registry model ${model.id} is of job ${model.trainingJobId}`);
          const served = end.provider.endpoints.find((e) => e.id === d.id);
          if (served && served.modelId !== r.checkpoint.registeredModelId)
            wrong.push(`${d.id} serves ${served.modelId}, not ${r.checkpoint.registeredModelId}`);
        } else if (d) {
          const endpoint = end.provider.endpoints.find((e) => e.id === d.id);
          const mesh = end.provider.meshModels.find((m) => m.modelId === d.id);
          const served = endpoint?.checkpointId ?? mesh?.modelPath;
          if ((endpoint || mesh) && !served?.includes(ckptId ?? '\0'))
            wrong.push(`${d.id} serves ${served}, not ${ckptId}`);
        }
        return wrong.map((what) => ({
          invariant: 'I2' as const,
          subject: p.workflowId,
          what,
          events: eventsOf(end, p, [r.jobId, ckptId, d?.id]),
        }));
      }),
  },
  {
    id: 'I3',
    sentence:
      'No checkpoint is deleted while it is a pending candidate, pinned, or referenced by a deployment that serves.',
    checkedBy:
      'Each deletion the provider performed (with its time) is compared with the windows in which the checkpoint was in use: pinned (from the operator’s pin on), a run’s candidate (until the run closed), the checkpoint of a deployed run (until the provider deleted that deployment: retired by its slot or deleted by hand).',
    check: (end) => {
      const windows = new Map<string, { from: number; until: number; why: string; p?: PipelineEnd }[]>();
      const inUse = (id: string | undefined, from: number, until: number, why: string, p?: PipelineEnd) => {
        if (id) windows.set(id, [...(windows.get(id) ?? []), { from, until, why, p }]);
      };
      for (const pin of end.operator.pins)
        inUse(pin.checkpointId, pin.at, Infinity, `pinned by the operator in ${pin.workflowId}`);
      for (const p of end.pipelines) {
        inUse(p.last?.candidate?.checkpointId, 0, p.closedAt ?? Infinity, `candidate of ${p.workflowId}`, p);
        if (!deployed(p)) continue;
        // Until its deployment is gone at the provider (retired by its slot, or deleted by hand).
        const id = p.result!.deployment?.id;
        const gone = end.provider.deletedDeployments.find((d) => d.id === id)?.deletedAt ?? Infinity;
        inUse(p.result!.checkpoint?.checkpointId, 0, gone, `deployed by ${p.workflowId} as ${id}`, p);
      }
      return end.provider.deletedCheckpoints.flatMap((d) =>
        (windows.get(d.id) ?? [])
          .filter((w) => w.from <= d.deletedAt && d.deletedAt <= w.until)
          .map((w) => ({
            invariant: 'I3' as const,
            subject: d.id,
            what: `deleted at ${iso(d.deletedAt)} while ${w.why} (in use from ${w.from ? iso(w.from) : 'its start'} until ${Number.isFinite(w.until) ? iso(w.until) : 'the end'})`,
            events: eventsOf(end, w.p, [d.id, d.jobId]),
          })),
      );
    },
  },
  {
    id: 'I4',
    sentence:
      'Every billed resource a run created (training job, endpoint, registry deployment, TensorMesh model) is at its end owned by a live workflow, serving its slot, stopped or removed, or named in the result for removal by hand — never silently left.',
    checkedBy:
      'Every job still running or pending, and every endpoint or TensorMesh model that still exists, is traced to the run that named it: it passes if that run still runs, if it is its slot’s champion or draining deployment, the deployment of a deployed run, or named in the run’s result or last status (left running, possible duplicate, retired for removal by hand).',
    check: (end) => {
      const serving = new Set(
        end.slots.flatMap((s) => [
          s.state?.champion?.deploymentId,
          ...(s.state?.draining ?? []).map((d) => d.deploymentId),
          ...(s.state?.retired ?? [])
            .filter((r) => r.outcome === 'remove-by-hand')
            .map((r) => r.deploymentId),
        ]),
      );
      const out: Violation[] = [];
      const judge = (id: string, name: string, what: string) => {
        const p = ownerOf(end, name.replace(/-a\d+$/, ''));
        if (p?.closeStatus === 'RUNNING') return;
        if (serving.has(id)) return;
        if (p && deployed(p) && p.result!.deployment?.id === id && !retirement(end, id)) return;
        const told = p ? leftoverText(p) : '';
        if (told.includes(id) || told.includes(name.replace(/-a\d+$/, ''))) return;
        out.push({
          invariant: 'I4',
          subject: id,
          what: `${what} ${id} (${name}) is left${p ? ` by ${p.workflowId} (${p.closeStatus})` : ''} and no one names it`,
          events: eventsOf(end, p, [id]),
        });
      };
      for (const j of end.provider.jobs)
        if (RUNNING_STATES.includes(j.status)) judge(j.id, j.name, `job ${j.status}`);
      for (const e of end.provider.endpoints)
        judge(e.id, e.name, e.kind === 'registry' ? 'registry deployment' : 'endpoint');
      for (const m of end.provider.meshModels) judge(m.modelId, m.modelName, 'TensorMesh model');
      return out;
    },
  },
  {
    id: 'I5',
    sentence:
      'A slot always has a serving deployment once it had one, unless the operator retired it; it never switches to a deployment that is gone.',
    checkedBy:
      'Each slot that promoted once has a champion that the provider still has — unless that champion was deleted by hand while it served (a lie told after it became champion) or the operator retired it; a champion deleted before it became champion again (a rollback to a gone deployment) is a violation.',
    check: (end) =>
      end.slots.flatMap(({ name, state }) => {
        if (!state?.history.some((e) => e.kind === 'promoted')) return [];
        const champion = state.champion;
        const events = (id?: string) =>
          eventsOf(
            end,
            end.pipelines.find((p) => p.name === name && p.result?.deployment?.id === id),
            [id],
          ).concat(
            state.history.map((e) => `slot ${name}: ${e.kind} ${e.deploymentId}${e.by ? ` by ${e.by}` : ''}`),
          );
        if (!champion)
          return [
            {
              invariant: 'I5' as const,
              subject: name,
              what: `slot ${name} serves nothing`,
              events: events(),
            },
          ];
        const id = champion.deploymentId;
        if (deploymentExists(end, id) || end.operator.retired.includes(id)) return [];
        const goneAt = deletedByHandAt(end, id);
        if (goneAt !== undefined && goneAt >= Date.parse(champion.since)) return [];
        return [
          {
            invariant: 'I5' as const,
            subject: name,
            what: `slot ${name}'s champion ${id} is gone${goneAt !== undefined ? ' (deleted by hand before it became champion)' : ''}`,
            events: events(id),
          },
        ];
      }),
  },
  {
    id: 'I6',
    sentence: 'No duplicate is left running unreported.',
    checkedBy:
      'Every name the provider created twice or more (jobs, endpoints, registry deployments, TensorMesh models; a TensorMesh retry’s `-aN` name counts as its first’s): each copy still running or deployed beyond the one the run reports is named by its run (duplicate jobs, possible duplicates).',
    check: (end) => {
      const out: Violation[] = [];
      const alive = [
        ...end.provider.jobs
          .filter((j) => RUNNING_STATES.includes(j.status))
          .map((j) => ({ id: j.id, key: `job ${j.name}`, name: j.name })),
        ...end.provider.endpoints.map((e) => ({ id: e.id, key: `deployment ${e.name}`, name: e.name })),
        ...end.provider.meshModels.map((m) => {
          const name = m.modelName.replace(/-a\d+$/, '');
          return { id: m.modelId, key: `deployment ${name}`, name };
        }),
      ];
      // Copies of one kind under one name: a job and its endpoint share a name and are no duplicate.
      const byName = new Map<string, { name: string; ids: string[] }>();
      for (const a of alive)
        byName.set(a.key, { name: a.name, ids: [...(byName.get(a.key)?.ids ?? []), a.id] });
      for (const { name, ids } of byName.values()) {
        if (ids.length < 2) continue;
        const p = ownerOf(end, name);
        const told = p ? leftoverText(p) : '';
        const reported = ids.filter((id) => told.includes(id)).length;
        if (told.includes(name) || reported >= ids.length - 1) continue;
        out.push({
          invariant: 'I6',
          subject: name,
          what: `${ids.length} of ${name} are running or deployed (${ids.join(', ')}); ${reported} reported`,
          events: eventsOf(end, p, ids),
        });
      }
      return out;
    },
  },
  {
    id: 'I7',
    sentence:
      'The provider rate limit, when set, is never exceeded in any 1-second window by more than the documented burst.',
    checkedBy: `With TENSORONE_MAX_RPS set: every 1-second window of the TensorOne requests the provider received holds at most ceil(limit × ${DOCUMENTED_RATE_BURST}).`,
    check: (end) => {
      if (!end.rateLimit) return [];
      const { maxRps, requestTimes } = end.rateLimit;
      const allowed = Math.ceil(maxRps * DOCUMENTED_RATE_BURST);
      const times = [...requestTimes].sort((a, b) => a - b);
      let worst = { count: 0, at: 0 };
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= 1000) j++;
        if (i - j + 1 > worst.count) worst = { count: i - j + 1, at: times[j] };
      }
      if (worst.count <= allowed) return [];
      return [
        {
          invariant: 'I7',
          subject: 'TensorOne',
          what: `${worst.count} requests in one second (limit ${maxRps}/s, at most ${allowed} with the documented burst)`,
          events: [`from ${new Date(worst.at).toISOString()}`],
        },
      ];
    },
  },
  {
    id: 'I8',
    sentence: 'No secret appears in any history, log, CLI output or report.',
    checkedBy:
      'Every API key, token and signed-URL signature the run used is searched for in every workflow history (pipelines, their children, the cleanup Schedule’s runs), the worker’s and the sandbox’s logs, the CLI’s output and the report.',
    check: (end) =>
      end.texts.flatMap((t) =>
        end.secrets
          .filter((s) => t.text.includes(s))
          .map((s) => ({
            invariant: 'I8' as const,
            subject: t.source,
            what: `contains a secret (${s.slice(0, 4)}…)`,
            events: [],
          })),
      ),
  },
  {
    id: 'I9',
    sentence: 'Bytes and counts reported equal what the provider shows.',
    checkedBy:
      'Each deletion a result lists as done (not already gone) is a deletion the provider performed, of that job’s checkpoint, with the provider’s size; the result’s bytes reclaimed is the sum of those sizes.',
    check: (end) =>
      end.pipelines.flatMap((p) => {
        const r = p.result;
        if (!r) return [];
        const out: string[] = [];
        let bytes = 0;
        for (const d of r.deletedCheckpoints.filter((x) => !x.alreadyGone)) {
          bytes += d.bytes;
          const gone = end.provider.deletedCheckpoints.find((c) => c.id === d.checkpointId);
          if (!gone) out.push(`reports ${d.checkpointId} deleted; the provider still has it or never had it`);
          else if (gone.jobId !== d.jobId || Math.abs(shownBytes(gone.shownSize) - d.bytes) > 1)
            out.push(
              `reports ${d.checkpointId} of ${d.jobId}, ${d.bytes} bytes; the provider deleted one of ${gone.jobId} it showed as ${gone.shownSize}`,
            );
        }
        if (r.deletedCheckpoints.length < 2000 && bytes !== r.bytesReclaimed)
          out.push(`reports ${r.bytesReclaimed} bytes reclaimed; its deletions add up to ${bytes}`);
        return out.map((what) => ({
          invariant: 'I9' as const,
          subject: p.workflowId,
          what,
          events: eventsOf(end, p, [r.jobId]),
        }));
      }),
  },
  {
    id: 'I10',
    sentence: 'No training job is stopped for a stall while its steps were moving.',
    checkedBy:
      'For each stop a supervision asked for because it judged its job stalled (its stop activity’s summary says `stalled: no step progress`; one the provider refused because the job had ended stopped nothing), the provider’s true progress — the sandbox’s simulation: from when each segment runs until a stall fault froze its steps, it ended or it was stopped, whatever the answers showed — must show the job not advancing in the `stallAfter` (from the supervision’s input) before the stop (its activity’s scheduled time): stopped exactly `stallAfter` after the last advance keeps it, a millisecond sooner breaks it. The documented exception: a supervision can only judge what it is answered, so a stop is not judged when the lying provider told a step lie about that job (stepFreeze, stepWobble, stepReset) from `stallAfter` plus the supervision’s freshness (how old the figures a look judges may be) before the stop until the stop.',
    check: (end) =>
      stallStops(end).flatMap(({ supervision: s, stop }) => {
        const job = jobOf(end, stop.jobId);
        if (!job) return [];
        const last = lastAdvanceBefore(job, stop.at);
        if (last === undefined || last <= stop.at - s.stallAfterMs) return [];
        const from = stop.at - s.stallAfterMs - s.freshnessMs;
        const stepLies = lies(end).filter(
          (l) => STEP_LIES.includes(l.kind) && l.resource === stop.jobId && l.at >= from && l.at <= stop.at,
        );
        if (stepLies.length) return [];
        const p = ownerOf(end, job.name);
        return [
          {
            invariant: 'I10' as const,
            subject: stop.jobId,
            what: `stopped for a stall by ${s.workflowId} at ${iso(stop.at)} (stallAfter ${s.stallAfter}), but its steps advanced until ${iso(last)}, ${stop.at - last} ms before the stop; no step lie about it since ${iso(from)}`,
            events: [
              ...job.advancing.map(
                (a) =>
                  `${job.id} advanced from ${iso(a.from)} until ${a.until !== undefined ? iso(a.until) : 'the end'}`,
              ),
              `${s.workflowId} at ${iso(stop.at)}: ${stop.summary} (${stop.outcome}${stop.detail ? `: ${stop.detail}` : ''})`,
              ...eventsOf(end, p, [stop.jobId]),
            ],
          },
        ];
      }),
  },
];

/** Every invariant's violations in this end state, in the list's order. */
export function checkInvariants(end: EndState, only?: readonly InvariantId[]): Violation[] {
  return INVARIANTS.filter((i) => !only || only.includes(i.id)).flatMap((i) => i.check(end));
}

/** A violation as the report prints it: the seed, the invariant and what led to it. */
export function describeViolation(end: Pick<EndState, 'seed' | 'profile'>, v: Violation): string {
  const sentence = INVARIANTS.find((i) => i.id === v.invariant)?.sentence ?? '';
  return [
    `seed ${end.seed} (${end.profile}) violates ${v.invariant} — ${sentence}`,
    `  ${v.subject}: ${v.what}`,
    ...v.events.slice(0, 40).map((e) => `    ${e}`),
    ...(v.events.length > 40 ? [`    … ${v.events.length - 40} more`] : []),
  ].join('\n');
}
