import { releasedPatch } from '../released-patch';

// What changed in the serving slot since its first release. Each history recorded before a change
// replays on the path it was recorded on (test/histories/serving-slot-*.json).

/** Shared with the pipeline, which records the smoke request the check asks from that release on. */
export const ROLLBACK_CHECK_PATCH = 'slot-rollback-checks-former-deployment';

/**
 * Released after v8: a deployment the slot deleted no longer holds its checkpoint in the protection
 * records (cleanup's retention decides again); one left for removal by hand still does.
 */
export const releasesRetiredDeployments = () => releasedPatch('slot-releases-retired-deployments');

/**
 * Released after v8: a rollback first checks that the former champion still answers (status where a
 * route gives it, then its smoke request) and is refused, the champion kept, when it does not.
 */
export const checksFormerDeployment = () => releasedPatch(ROLLBACK_CHECK_PATCH);
