import { z } from 'zod';
import { hashString, seededRandom } from './rng';
import { tellLie, type LieSubject, type StatusLie } from './status-lie';

/**
 * The lying provider: a catalogue of lies and accidents the sandbox tells when it runs with an adversary
 * seed (`SANDBOX_ADVERSARY_SEED`, or `adversary` in its config). The seed decides which kinds are told,
 * how often (a probability per eligible request), how many times at most and for how many consecutive
 * looks; the draws per request come from the same seed, so one request sequence meets the same lies.
 * Every lie told is recorded (kind, route, resource) and shown in `GET /admin/state`.
 */
export const LIE_DESCRIPTIONS = {
  statusFlip:
    'A training or queued job’s status answered as another (completed, failed, stopped, cancelled, unknown) for k consecutive looks, on the job list and the job GET.',
  stepReset: 'A training job’s step counter answered as 0 for one look.',
  stepWobble: 'A training job’s step counter answered lower than the last look, by up to an epoch.',
  stepFreeze: 'A training job’s step counter answered unchanged for k looks while it trains.',
  htmlAnswer: 'A 200 answer on any route replaced by a gateway’s HTML page.',
  truncatedJson: 'A 200 answer on any route cut off in the middle of its JSON.',
  emptyBody: 'A 200 answer on any route with an empty body.',
  lostAnswer: 'A create or delete performed, its answer lost (the connection reset).',
  lateAct: 'A create or delete answered 503 at once and performed k tenths of a second later all the same.',
  frameworkNotFound:
    'A route the documents do not give answered with a web framework’s default 404 that names the path (`{"error":"NOT_FOUND","message":"No route GET /v2/endpoints/ep_2"}`), documented profile.',
  stoppedByHand: 'A training job stopped by hand at the provider’s console while a pipeline supervises it.',
  deletedByHand:
    'A deployment (endpoint, registry deployment, TensorMesh model) deleted by hand at the provider.',
  rateLimitBurst: 'k requests in a row on one route answered 429 with Retry-After.',
} as const;

export const LIE_KINDS = Object.keys(LIE_DESCRIPTIONS) as (keyof typeof LIE_DESCRIPTIONS)[];
export type LieKind = keyof typeof LIE_DESCRIPTIONS;

/** Statuses a flip may answer: the job's own terminal ones, one it never has, and nonsense. */
export const FLIPPED_STATUSES = ['completed', 'failed', 'stopped', 'cancelled', 'unknown'] as const;

export const lieRuleSchema = z.object({
  /** Probability per eligible request. */
  rate: z.number().min(0).max(1),
  /** How many times at most per run. */
  count: z.number().int().min(0),
  /** Consecutive looks a flip or freeze lasts, requests a burst lasts, or tenths of a second a late act waits. */
  k: z.number().int().min(1),
});
export type LieRule = z.infer<typeof lieRuleSchema>;
export type LieCatalogue = Partial<Record<LieKind, LieRule>>;

export const adversaryConfigSchema = z.object({
  seed: z.number().int().min(0),
  /** The kinds the seed may draw from (default: every kind). */
  kinds: z.array(z.enum(LIE_KINDS as [LieKind, ...LieKind[]])).optional(),
  /** Instead of drawing the catalogue from the seed: these rules exactly (draws per request still follow the seed). */
  catalogue: z.partialRecord(z.enum(LIE_KINDS as [LieKind, ...LieKind[]]), lieRuleSchema).optional(),
});
export type AdversaryConfig = z.infer<typeof adversaryConfigSchema>;

export interface ToldLie {
  kind: LieKind;
  /** `METHOD /provider/route/template`. */
  route: string;
  /** The job, checkpoint or deployment the request was about, when it names one. */
  resource?: string;
  /** Wall-clock milliseconds. */
  at: number;
  /** What was answered instead (the flipped status, the step shown, the burst length). */
  detail?: string;
}

/** Per-kind ranges a seed draws from: the rate is per eligible request, so kinds asked often get low rates. */
export const LIE_RANGES: Record<
  LieKind,
  { rate: [number, number]; count: [number, number]; k: [number, number] }
> = {
  statusFlip: { rate: [0.05, 0.15], count: [1, 4], k: [1, 4] },
  stepReset: { rate: [0.02, 0.06], count: [1, 3], k: [1, 1] },
  stepWobble: { rate: [0.02, 0.08], count: [1, 4], k: [1, 1] },
  stepFreeze: { rate: [0.02, 0.06], count: [1, 2], k: [2, 6] },
  htmlAnswer: { rate: [0.005, 0.02], count: [1, 3], k: [1, 1] },
  truncatedJson: { rate: [0.005, 0.02], count: [1, 3], k: [1, 1] },
  emptyBody: { rate: [0.005, 0.02], count: [1, 3], k: [1, 1] },
  lostAnswer: { rate: [0.05, 0.2], count: [1, 3], k: [1, 1] },
  lateAct: { rate: [0.05, 0.15], count: [1, 2], k: [5, 30] },
  frameworkNotFound: { rate: [0.3, 1], count: [2, 20], k: [1, 1] },
  stoppedByHand: { rate: [0.005, 0.02], count: [1, 1], k: [1, 1] },
  deletedByHand: { rate: [0.01, 0.03], count: [1, 1], k: [1, 1] },
  rateLimitBurst: { rate: [0.005, 0.02], count: [1, 3], k: [2, 5] },
};

/** The share of seeds that tell each kind. */
export const KIND_DRAWN_SHARE = 0.6;

/** The catalogue a seed draws: each allowed kind told with probability 0.6, its rate, count and k from the seed. */
export function catalogueForSeed(seed: number, kinds: readonly LieKind[] = LIE_KINDS): LieCatalogue {
  const random = seededRandom(hashString(`adversary-catalogue:${seed}`));
  const between = ([lo, hi]: [number, number]) => lo + random() * (hi - lo);
  const whole = (range: [number, number]) => Math.round(between(range));
  const catalogue: LieCatalogue = {};
  for (const kind of LIE_KINDS) {
    const told = random() < KIND_DRAWN_SHARE;
    const r = LIE_RANGES[kind];
    const rule = { rate: Math.round(between(r.rate) * 1000) / 1000, count: whole(r.count), k: whole(r.k) };
    if (told && kinds.includes(kind)) catalogue[kind] = rule;
  }
  return catalogue;
}

/** What the adversary needs of a job to lie about it. */
export interface JobView {
  id: string;
  status: string;
  stepsPerEpoch: number;
}

/** The seeded liar: draws lies per request from its catalogue and records every lie it tells. */
export class Adversary {
  readonly catalogue: LieCatalogue;
  readonly told: ToldLie[] = [];
  private readonly random: () => number;
  private readonly left = new Map<LieKind, number>();
  private readonly flips = new Map<string, StatusLie>();
  private readonly freezes = new Map<string, { step: number; looks: number }>();
  private readonly lastStep = new Map<string, number>();
  private readonly bursts = new Map<string, number>();

  constructor(readonly config: AdversaryConfig) {
    this.catalogue = config.catalogue ?? catalogueForSeed(config.seed, config.kinds);
    this.random = seededRandom(hashString(`adversary-draws:${config.seed}`));
    for (const [kind, rule] of Object.entries(this.catalogue) as [LieKind, LieRule][])
      this.left.set(kind, rule.count);
  }

  /** Whether a lie of this kind is told now (one draw when the kind is in the catalogue with lies left); records it. */
  draw(kind: LieKind, route: string, resource?: string, detail?: string): boolean {
    const rule = this.catalogue[kind];
    const left = this.left.get(kind) ?? 0;
    if (!rule || left <= 0 || this.random() >= rule.rate) return false;
    this.left.set(kind, left - 1);
    this.record(kind, route, resource, detail);
    return true;
  }

  /** Records a lie told as part of one already drawn (the further looks of a flip, freeze or burst). */
  record(kind: LieKind, route: string, resource?: string, detail?: string): void {
    this.told.push({
      kind,
      route,
      ...(resource ? { resource } : {}),
      at: Date.now(),
      ...(detail ? { detail } : {}),
    });
  }

  /** The k of a kind (1 when it is not in the catalogue). */
  k(kind: LieKind): number {
    return this.catalogue[kind]?.k ?? 1;
  }

  /**
   * A status to answer instead of a training or queued job's own, for k consecutive looks (a
   * `StatusLie` drawn for this job, told like the `statusLie` fault), or undefined.
   */
  statusOf(job: JobView, subject: LieSubject, route: string): string | undefined {
    const going = tellLie(this.flips.get(job.id), subject);
    if (going !== undefined) {
      this.record('statusFlip', route, job.id, `${going} (again)`);
      return going;
    }
    if (job.status !== 'running' && job.status !== 'pending') return undefined;
    const status = FLIPPED_STATUSES[Math.floor(this.peek() * FLIPPED_STATUSES.length)];
    if (!this.draw('statusFlip', route, job.id, status)) return undefined;
    this.flips.set(job.id, { status, looks: this.k('statusFlip') - 1 });
    return status;
  }

  /** The step counter to answer for a job that trains: reset, wobbling or frozen, or its own. */
  stepOf(job: JobView, step: number, route: string): number {
    const answer = this.liedStep(job, step, route);
    this.lastStep.set(job.id, answer);
    return answer;
  }

  private liedStep(job: JobView, step: number, route: string): number {
    if (job.status !== 'running') return step;
    const frozen = this.freezes.get(job.id);
    if (frozen && frozen.looks > 0) {
      frozen.looks -= 1;
      this.record('stepFreeze', route, job.id, `${frozen.step} (again)`);
      return frozen.step;
    }
    const last = this.lastStep.get(job.id);
    if (step > 0 && this.draw('stepReset', route, job.id, '0')) return 0;
    const wobbled = Math.max(0, (last ?? step) - 1 - Math.floor(this.peek() * job.stepsPerEpoch));
    if (step > 0 && this.draw('stepWobble', route, job.id, String(wobbled))) return wobbled;
    if (last !== undefined && this.draw('stepFreeze', route, job.id, String(last))) {
      this.freezes.set(job.id, { step: last, looks: this.k('stepFreeze') - 1 });
      return last;
    }
    return step;
  }

  /** Whether this request on `routeKey` is answered 429: a burst drawn now or one still going. */
  rateLimited(routeKey: string, route: string, resource?: string): boolean {
    const going = this.bursts.get(routeKey) ?? 0;
    if (going > 0) {
      this.bursts.set(routeKey, going - 1);
      this.record('rateLimitBurst', route, resource, 'again');
      return true;
    }
    if (!this.draw('rateLimitBurst', route, resource, `${this.k('rateLimitBurst')} in a row`)) return false;
    this.bursts.set(routeKey, this.k('rateLimitBurst') - 1);
    return true;
  }

  /** Lies told per kind. */
  counts(): Partial<Record<LieKind, number>> {
    const out: Partial<Record<LieKind, number>> = {};
    for (const lie of this.told) out[lie.kind] = (out[lie.kind] ?? 0) + 1;
    return out;
  }

  /** A number for a lie's detail, from the same seeded sequence. */
  private peek(): number {
    return this.random();
  }
}

/** `SANDBOX_ADVERSARY_SEED` (and `SANDBOX_ADVERSARY_KINDS`, comma-separated), refused naming the variable when invalid. */
export function adversaryFromEnv(env: NodeJS.ProcessEnv = process.env): AdversaryConfig | undefined {
  if (!env.SANDBOX_ADVERSARY_SEED) return undefined;
  const seed = Number(env.SANDBOX_ADVERSARY_SEED);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error('SANDBOX_ADVERSARY_SEED must be a whole number of 0 or more');
  const kinds = env.SANDBOX_ADVERSARY_KINDS?.split(',').map((k) => k.trim());
  const unknown = kinds?.filter((k) => !(LIE_KINDS as readonly string[]).includes(k)) ?? [];
  if (unknown.length)
    throw new Error(`SANDBOX_ADVERSARY_KINDS: ${unknown.join(', ')} not among ${LIE_KINDS.join(', ')}`);
  return { seed, ...(kinds ? { kinds: kinds as LieKind[] } : {}) };
}
