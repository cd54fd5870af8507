import { patched } from '@temporalio/workflow';

// What changed in the protection registry since its first release. Each history recorded before a
// change replays on the path it was recorded on (test/histories/protection-registry-*.json).

/**
 * A run that starts without carried state (not a continue-as-new of itself: the first, or one started
 * after the registry was terminated) rebuilds from the runs before it and the live workflows before it
 * grants a deletion lease; claims wait for the rebuild, leases are refused until it is done.
 */
export const rebuildsWhenStartedAnew = () => patched('protection-registry-rebuilds-when-started-anew');

/**
 * The rebuild heartbeats after each workflow it reads (a 20 s heartbeat timeout): one lost with its
 * worker is tried again within seconds, not after its 2-minute timeout. Runs before it kept the latter.
 */
export const rebuildHeartbeats = () => patched('protection-rebuild-heartbeats');
