/**
 * Routes this project uses that the provider documents do not list are optional capabilities, learned
 * per client (one per worker process) from what the provider answers:
 * - a route is *present* only once it has answered 2xx in this process;
 * - an answer that only ever means "no such route or method" marks it *absent*: logged once, never
 *   asked again;
 * - a 404 from a route not yet seen present cannot tell a missing route from a missing resource (a web
 *   framework's default 404 names the path, and so the id): this call answers "cannot tell" and the
 *   route is asked again next time.
 * Callers get a `CapabilityAbsent` answer for both and take the documented path (docs/providers.md says
 * which, per route). Transport.optional is the only caller.
 */
import type { ProviderError } from './provider-error';
import { ASSUMED_ROUTES, type AssumedCapability, type CapabilityAbsent } from '../../domain/capability';

export {
  ASSUMED_ROUTES,
  isAbsent,
  type AssumedCapability,
  type CapabilityAbsent,
} from '../../domain/capability';

/** Statuses that only ever mean "no such route or method here". */
const ROUTE_ABSENT_STATUS = new Set([405, 501]);
/** A 400 whose message says the method or route itself is invalid (TensorOne: "Invalid request method"). */
const INVALID_ROUTE_MESSAGE =
  /invalid (request )?(method|route|path|endpoint)|method not allowed|unknown (route|path|endpoint)|no route|not implemented/i;

/**
 * What a failed call on an assumed route says about the route — decided here only:
 * - `route-absent`: 405 and 501 always; a 400 whose message says the method or route is invalid;
 * - `cannot-tell`: a 404 from a route this process has never seen answer 2xx, whatever its body;
 * - `failure`: anything else, including a 404 once the route was seen present (then the resource is
 *   gone), thrown to the caller as from a documented route.
 */
export type AssumedRouteReading = 'route-absent' | 'cannot-tell' | 'failure';

export function readAssumedRouteFailure(err: ProviderError, seenPresent: boolean): AssumedRouteReading {
  if (err.kind !== 'http' || err.status === undefined) return 'failure';
  if (ROUTE_ABSENT_STATUS.has(err.status)) return 'route-absent';
  if (err.status === 400) return INVALID_ROUTE_MESSAGE.test(err.message) ? 'route-absent' : 'failure';
  if (err.status === 404) return seenPresent ? 'failure' : 'cannot-tell';
  return 'failure';
}

type CapabilityLog = (line: string) => void;

const defaultLog: CapabilityLog = (line) =>
  process.stderr.write(`${JSON.stringify({ level: 'WARN', message: line })}\n`);

/** What one client has learned about its provider's assumed routes. */
export class Capabilities {
  private readonly absent = new Set<AssumedCapability>();
  private readonly present = new Set<AssumedCapability>();
  private readonly doubted = new Set<AssumedCapability>();

  constructor(private readonly log: CapabilityLog = defaultLog) {}

  isAbsent(capability: AssumedCapability): boolean {
    return this.absent.has(capability);
  }

  isPresent(capability: AssumedCapability): boolean {
    return this.present.has(capability);
  }

  /** The route answered 2xx: from now on its 404 means the resource is missing. */
  markPresent(capability: AssumedCapability): void {
    this.present.add(capability);
  }

  /** Records the absence (logging it the first time) and returns the typed answer. */
  markAbsent(capability: AssumedCapability, because: string): CapabilityAbsent {
    if (!this.absent.has(capability)) {
      this.absent.add(capability);
      this.present.delete(capability);
      this.log(
        `${ASSUMED_ROUTES[capability]} is not offered by this provider (${because}): ${capability} is treated as absent for this process and will not be asked again`,
      );
    }
    return answer(capability);
  }

  /** A 404 before the route was seen present: this call takes the documented path (logged once). */
  cannotTell(capability: AssumedCapability, because: string): CapabilityAbsent {
    if (!this.doubted.has(capability)) {
      this.doubted.add(capability);
      this.log(
        `${ASSUMED_ROUTES[capability]} answered ${because} and has not answered 2xx in this process: a missing route and a missing resource look alike, so ${capability} is treated as absent for this call and the documented path is taken`,
      );
    }
    return { ...answer(capability), unsure: true };
  }

  answer(capability: AssumedCapability): CapabilityAbsent {
    return answer(capability);
  }
}

function answer(capability: AssumedCapability): CapabilityAbsent {
  return { capabilityAbsent: capability, route: ASSUMED_ROUTES[capability] };
}
