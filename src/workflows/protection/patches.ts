import { releasedPatch } from '../released-patch';

// What changed in the protection registry since its first release. Each history recorded before a
// change replays on the path it was recorded on (test/histories/protection-registry-*.json).

/**
 * A run that starts without carried state (not a continue-as-new of itself: the first, or one started
 * after the registry was terminated) rebuilds from the runs before it and the live workflows before it
 * grants a deletion lease; claims wait for the rebuild, leases are refused until it is done.
 */
export const rebuildsWhenStartedAnew = () => releasedPatch('protection-registry-rebuilds-when-started-anew');

/**
 * The rebuild heartbeats after each workflow it reads (a 20 s heartbeat timeout): one lost with its
 * worker is tried again within seconds, not after its 2-minute timeout. Runs before it kept the latter.
 */
export const rebuildHeartbeats = () => releasedPatch('protection-rebuild-heartbeats');

/**
 * The rebuild in two parts: first the runs before (their records and leases), then the live workflows.
 * A claim waits for the first only (it needs the leases, to refuse a checkpoint being deleted): one live
 * pipeline that cannot answer (its workflow task failing) no longer holds every other pipeline's claim,
 * and with them the registry's in-flight Updates. Leases still wait for both parts.
 */
export const rebuildsInTwoParts = () => releasedPatch('protection-rebuild-in-two-parts');
