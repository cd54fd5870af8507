import { patched } from '@temporalio/workflow';

/**
 * One marker for every patch released up to it. Each `patched()` records a marker and makes the SDK
 * upsert the `TemporalChangeVersion` search attribute with every patch id so far: ~2.5 ms of worker
 * and server time each on the tuned dev server (bench/RESULTS.md), and a pipeline asked about 35
 * of them. A run started on a worker that has this marker records it once, and every patch it covers
 * is taken as applied without a marker of its own (a run not replaying takes every patch anyway).
 * A history recorded before it has no such marker: each covered patch is then asked as it was, and
 * answers as the history says. Patches released after it go through `patched()` until a later marker
 * covers them. A patch a replay may ask where its run did not (asked under `isReplaying`) cannot be
 * covered: only its own marker's absence tells the replay what the run did
 * (`pipeline-trusts-starter-validated-input`).
 */
export const PATCHES_RELEASED_MARKER = 'patches-released-to-2026-12-07';

/** `patched(patchId)` for a patch the release marker covers: true at once when the run has the marker. */
export function releasedPatch(patchId: string): boolean {
  return patched(PATCHES_RELEASED_MARKER) || patched(patchId);
}
