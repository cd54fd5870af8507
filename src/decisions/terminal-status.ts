/**
 * When a provider's "failed", "cancelled" or "stopped" can be believed. Acting on one fails the
 * pipeline (or resumes a job that trains), so a status that may be a lie (a stale cache, a provider
 * glitch told on several looks in a row) is held like an unknown one: believed only once it has held
 * on looks spread over a confirmation window with nothing contradicting it, and given up on (the job
 * stopped) when it keeps being contradicted past the unknown-status grace. A "completed" has its own
 * doubt (completion.ts); an end this supervision caused (its own stop) needs no confirmation.
 */
import type { JobStatus } from '../domain/types';

/** The ends held until confirmed. */
const HELD_ENDS: readonly JobStatus[] = ['failed', 'cancelled', 'stopped'];

/** Fewest looks (the first sighting's included) that must agree before an end is believed. */
export const MIN_CONFIRMING_LOOKS = 3;

/** Whether this status is an end held until it is confirmed. */
export function isHeldEnd(status: JobStatus): boolean {
  return HELD_ENDS.includes(status);
}

/**
 * The confirmation window when the input names none: three freshness windows or ten minimum intervals,
 * whichever is longer — several looks, spread over more than one sweep of the job list (5m and 30s, the
 * pipeline’s defaults: 15 minutes).
 */
export function defaultTerminalWindowMs(freshnessMs: number, minIntervalMs: number): number {
  return Math.max(3 * freshnessMs, 10 * minIntervalMs);
}

/** What one report of the job shows that an end can be checked against. */
export interface EndLook {
  status: JobStatus;
  step?: number;
  epoch?: number;
  /** Checkpoints the supervision has seen of the job so far. */
  checkpointsSeen: number;
  /** Looks the supervision has made so far (cumulative). */
  polls: number;
  nowMs: number;
}

/** An end the job has been answering on every look since `sinceMs`, with the figures it showed then. */
export interface EndSighting {
  status: JobStatus;
  sinceMs: number;
  /** When the first of this run of sightings began (a contradicted sighting starts anew, keeping it). */
  firstSinceMs: number;
  /** `polls` at the sighting: the looks that agree are counted from here. */
  polls: number;
  step?: number;
  epoch?: number;
  checkpointsSeen: number;
  /** Why an earlier sighting of this run was not believed. */
  doubt?: string;
}

export interface EndRule {
  windowMs: number;
  /** The unknown-status grace: past it, an end still contradicted is given up on. */
  graceMs: number;
  /** `unknownStatusGrace` as written, for the message. */
  grace: string;
  jobId: string;
}

export type EndVerdict =
  /** Not an end held here (or one this supervision caused): decide on the look as it is. */
  | { kind: 'not-held' }
  /** Held long enough, on enough looks, uncontradicted: act on it. */
  | { kind: 'believe' }
  /** Keep the job and look again, reporting by `untilMs` at the latest. */
  | { kind: 'wait'; untilMs: number }
  /** Contradicted for longer than the grace: nothing is believed, the supervision fails. */
  | { kind: 'give-up'; message: string };

const known = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

/** What advanced since the sighting although the job answered it had ended, or undefined. */
function contradiction(seen: EndSighting, look: EndLook): string | undefined {
  const said = `answered "${seen.status}"`;
  if (known(seen.step) && known(look.step) && look.step > seen.step)
    return `${said} while its step went from ${seen.step} to ${look.step}`;
  if (known(seen.epoch) && known(look.epoch) && look.epoch > seen.epoch)
    return `${said} while its epoch went from ${seen.epoch} to ${look.epoch}`;
  if (look.checkpointsSeen > seen.checkpointsSeen)
    return `${said} while ${look.checkpointsSeen - seen.checkpointsSeen} new checkpoint(s) appeared`;
  return undefined;
}

function sightingAt(look: EndLook, firstSinceMs: number, doubt?: string): EndSighting {
  return {
    status: look.status,
    sinceMs: look.nowMs,
    firstSinceMs,
    polls: look.polls,
    ...(known(look.step) ? { step: look.step } : {}),
    ...(known(look.epoch) ? { epoch: look.epoch } : {}),
    checkpointsSeen: look.checkpointsSeen,
    ...(doubt !== undefined ? { doubt } : {}),
  };
}

/**
 * When the job must be looked at again about a sighted end: at the end of its window, or earlier when a
 * contradicted one's grace runs out first.
 */
export function endReportByMs(seen: EndSighting, rule: Pick<EndRule, 'windowMs' | 'graceMs'>): number {
  return Math.min(
    seen.sinceMs + rule.windowMs,
    seen.doubt !== undefined ? seen.firstSinceMs + rule.graceMs : Number.POSITIVE_INFINITY,
  );
}

/**
 * Judges a look against the end sighted before (if any): the sighting to keep (undefined once the job
 * answers anything but a held end) and what to do. A new end, or another one than before, starts a
 * sighting; a sighting whose step, epoch or checkpoints advance is contradicted and starts anew
 * (given up on once the first one is older than the grace); one that held for the window on at least
 * `MIN_CONFIRMING_LOOKS` looks is believed.
 */
export function judgeEnd(
  seen: EndSighting | undefined,
  look: EndLook,
  rule: EndRule,
): { sighting?: EndSighting; verdict: EndVerdict } {
  if (!isHeldEnd(look.status)) return { verdict: { kind: 'not-held' } };
  const waitFor = (s: EndSighting) => ({
    sighting: s,
    verdict: { kind: 'wait' as const, untilMs: endReportByMs(s, rule) },
  });
  if (!seen || seen.status !== look.status)
    return waitFor(sightingAt(look, seen?.firstSinceMs ?? look.nowMs, seen?.doubt));
  const doubt = contradiction(seen, look);
  if (doubt !== undefined) {
    if (look.nowMs - seen.firstSinceMs >= rule.graceMs)
      return {
        verdict: {
          kind: 'give-up',
          message: `training job ${rule.jobId} ${doubt}, and kept answering so for ${rule.grace}: not believed, nothing deployed from it`,
        },
      };
    return waitFor(sightingAt(look, seen.firstSinceMs, doubt));
  }
  const looks = look.polls - seen.polls + 1;
  if (look.nowMs - seen.sinceMs >= rule.windowMs && looks >= MIN_CONFIRMING_LOOKS)
    return { sighting: seen, verdict: { kind: 'believe' } };
  return waitFor(seen);
}
