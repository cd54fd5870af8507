/**
 * Routes this project uses that the provider documents do not list are optional capabilities: the
 * first "route absent" answer marks one absent for the life of the client (one per worker process), is
 * logged once, and the route is never asked again; callers get a `CapabilityAbsent` answer and take the
 * documented path (docs/providers.md says which, per route). Transport.optional is the only caller.
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
/** Codes a 404 carries when it names no resource: the route itself is unknown. */
const GENERIC_NOT_FOUND_CODES = new Set(['NOT_FOUND', 'HTTP_404']);

/**
 * "Route absent" versus "resource not found" — decided here only:
 * - 405 and 501 are always route absent;
 * - a 400 is route absent when its message says the method or route is invalid;
 * - a 404 is a missing resource when its body names the resource: a specific code such as
 *   `ENDPOINT_NOT_FOUND` or `MODEL_NOT_FOUND`, or a message or details holding the id asked for.
 *   Any other 404 (empty body, `{message: "Not Found"}`, "No route for …") is route absent.
 */
export function isRouteAbsent(err: ProviderError, resourceId?: string): boolean {
  if (err.kind !== 'http' || err.status === undefined) return false;
  if (ROUTE_ABSENT_STATUS.has(err.status)) return true;
  if (err.status === 400) return INVALID_ROUTE_MESSAGE.test(err.message);
  if (err.status !== 404) return false;
  if (!GENERIC_NOT_FOUND_CODES.has(err.code)) return false;
  if (!resourceId) return true;
  const named = err.message.includes(resourceId) || JSON.stringify(err.details).includes(resourceId);
  return !named;
}

type CapabilityLog = (line: string) => void;

const defaultLog: CapabilityLog = (line) =>
  process.stderr.write(`${JSON.stringify({ level: 'WARN', message: line })}\n`);

/** What one client has learned about its provider's assumed routes. */
export class Capabilities {
  private readonly absent = new Set<AssumedCapability>();

  constructor(private readonly log: CapabilityLog = defaultLog) {}

  isAbsent(capability: AssumedCapability): boolean {
    return this.absent.has(capability);
  }

  /** Records the absence (logging it the first time) and returns the typed answer. */
  markAbsent(capability: AssumedCapability, because: string): CapabilityAbsent {
    if (!this.absent.has(capability)) {
      this.absent.add(capability);
      this.log(
        `${ASSUMED_ROUTES[capability]} is not offered by this provider (${because}): ${capability} is treated as absent for this process and will not be asked again`,
      );
    }
    return answer(capability);
  }

  answer(capability: AssumedCapability): CapabilityAbsent {
    return answer(capability);
  }
}

function answer(capability: AssumedCapability): CapabilityAbsent {
  return { capabilityAbsent: capability, route: ASSUMED_ROUTES[capability] };
}
