import { patched } from '@temporalio/workflow';
import { releasedPatch } from '../released-patch';
import { ROLLBACK_CHECK_PATCH } from '../serving-slot/patches';

// What changed in the pipeline since its first release. Each history recorded before a change replays
// on the path it was recorded on (test/histories/pipeline-*.json).

/** Duration and size bounds on the pipeline file: a pipeline started before them replays as it was accepted. */
export const boundsInput = () => releasedPatch('pipeline-input-bounds');

/** The typed `train.config`: a pipeline started before it replays with the config it was given. */
export const typesTrainConfig = () => releasedPatch('pipeline-typed-train-config');

/**
 * Released after v3: what the pipeline creates is named after its run (a rerun creates anew), a create
 * completes before a cancel does and is then undone, a pipeline that does not end deployed stops its
 * job, duplicates of a create in doubt are stopped or reported, and the registry target gates the
 * registered model it deploys. Histories recorded before it replay the old path.
 */
export const ownsRunResources = () => releasedPatch('pipeline-run-owned-resources');

/**
 * Operator commands are Updates with validators (operator-updates.ts). With it, the approve/reject
 * signals older CLIs send obey the same rules (only while awaiting approval, first decision only); runs
 * started before it keep taking them at any time, as recorded.
 */
export const operatorUpdates = () => releasedPatch('pipeline-operator-updates');

/**
 * A pin of a TensorOne checkpoint the pipeline has not listed is checked against the job's own list
 * (a checkpoint's GET need not name its job). Runs before it asked the checkpoint's GET and took an
 * unnamed owner as the job's.
 */
export const pinChecksJobListing = () => releasedPatch('pipeline-pin-checks-job-listing');

/** Webhook notifications go out in order without holding the pipeline up; a failed delivery is dropped. */
export const notifiesWebhook = () => releasedPatch('webhook-notifications');

/**
 * Released after v5: a pipeline whose worker has no webhook (the first delivery answers
 * `configured: false`) schedules no further notification activity.
 */
export const notifiesOnlyWithWebhook = () => releasedPatch('notify-only-with-a-webhook');

/**
 * The supervising child's id comes from the provider and job (`superviseWorkflowId`), shared with
 * `starter supervise`: one supervisor per job. Runs started before it keep `<pipeline>/supervise`.
 */
export const supervisesPerJob = () => releasedPatch('pipeline-supervision-per-job');

/** Candidate, deployment and pins go to the shared protection records (src/workflows/protection/). */
export const recordsProtection = () => releasedPatch('pipeline-records-protected-checkpoints');

/** The candidate is claimed through the registry's Update, which refuses one a cleanup is deleting. */
export const claimsCandidate = () => releasedPatch('pipeline-claims-candidate');

/**
 * A claimed TensorOne candidate is looked up once more: a cleanup that deleted it between the listing
 * and the claim (a worker lost in between) held no lease by then, so only the provider can tell.
 */
export const confirmsClaimedCandidate = () => releasedPatch('pipeline-confirms-claimed-candidate');

/** The same look after a pin's claim: a pin of a checkpoint deleted since the pipeline listed it is refused. */
export const pinConfirmsCheckpoint = () => releasedPatch('pipeline-pin-confirms-checkpoint-exists');

/**
 * The approval wait as two timers, so that a candidate still undecided at half its timeout is counted
 * (the alert on an approval waiting past half its deadline).
 */
export const countsHalfApprovalDeadline = () => releasedPatch('approval-counts-half-deadline');

/**
 * Released after v6: a pipeline's name has a serving slot (src/workflows/serving-slot/). The gate
 * compares against the slot's champion unless `gate.servingModelId` names another model; a verified
 * deployment is promoted into the slot, whose former champion drains and is then retired. Histories
 * recorded before it deploy beside whatever serves, as they did.
 */
export const usesServingSlot = () => releasedPatch('pipeline-serving-slot');

/**
 * Released with the slot's rollback check (the same id): a promotion records the smoke request the
 * check asks the former champion later.
 */
export const recordsSmokeRequest = () => releasedPatch(ROLLBACK_CHECK_PATCH);

/**
 * Released after the serving slot: right before deploying, the pipeline looks at its job once more
 * and deploys only when the job is not training and a completion is believable (TensorOne: its final
 * checkpoint listed). Runs before it deployed on the supervision's word alone (and without its await).
 */
export const looksBeforeDeploy = () => releasedPatch('pipeline-believes-completion-before-deploy');

/**
 * A pipeline with `train.earlyStop` gives its supervising child the early-stop rule. Asked only by
 * pipelines with `train.earlyStop`, so the histories of others are unchanged.
 */
export const givesEarlyStop = () => releasedPatch('pipeline-early-stop');

/**
 * A pipeline that creates a training job reserves its `budget.maxCost` against its task queue's fleet
 * budget first, waits (phase `awaiting-budget`) while the fleet is at its limit, and settles the
 * reservation to the job's cost when the job ends. Without a budget set nothing else changes.
 */
export const reservesFleetBudgetPatch = () => releasedPatch('pipeline-reserves-fleet-budget');

/**
 * A sweep that has named its winner releases the best checkpoints of its other trials from the
 * protection records (they were held while the sweep ran); the winner's stays, then its candidate's.
 * Asked only by pipelines with `train.sweep`.
 */
export const releasesLosingTrials = () => releasedPatch('sweep-releases-losing-trials');

/**
 * A sweep's trial at a rung trains on only once it is sure to rank among the best `keep` of all the
 * trials that will reach the rung; until then it is paused (its job stopped with a checkpoint) and
 * resumed from it when promoted (src/decisions/rung-promotion.ts). Runs before it judge a trial
 * against those at the rung before it. Asked only by sweeps with halving.
 */
export const pausesTrialsAtRungs = () => releasedPatch('sweep-pauses-trials-at-rungs');

/**
 * A pipeline that would reserve first asks its worker whether its task queue has a fleet budget (a
 * local activity, answered from the worker's cache while fresh) and skips the reservation when none
 * was ever set. An answer that cannot be had reserves as before.
 */
export const asksFleetBudgetPresence = () => releasedPatch('pipeline-skips-reservation-without-fleet-budget');

/**
 * The fleet-budget question is an activity, not a local activity. A local activity's answer can be
 * recorded in one workflow task while the code after it runs in the next (a slow describe near the
 * task's deadline); on replay that code runs a task early, where a patch first asked there answers
 * differently, and the run is stuck on a nondeterminism error.
 */
export const asksFleetBudgetPresenceByActivity = () =>
  releasedPatch('pipeline-asks-fleet-budget-presence-by-activity');

/**
 * The champion read and the look at the job before deploying start with the candidate's listing
 * instead of one after another after its claim: two workflow tasks and their round trips fewer. Only
 * when no approval is awaited (then the look still comes after the approval, right before deploying).
 */
export const readsAheadOfTheClaim = () => releasedPatch('pipeline-reads-champion-and-job-with-the-candidate');

/**
 * A pipeline holding a fleet budget reservation tells the budget its job's cost as its looks report it
 * (when it moved by a step), and stops its job with a saved checkpoint when the budget says so, going
 * on as when its own `budget.maxCost` stopped training. Asked only by a pipeline that holds one.
 */
export const stopsOnFleetOverrun = () => releasedPatch('pipeline-fleet-budget-stops');

/**
 * A pipeline holding a fleet budget reservation asks its supervising child to report each time its job's
 * cost moved by a tenth of the reservation (`costReportStep`): the watch's looks between two reports
 * add no history, so without it the budget heard the job's cost at its first look and near its own
 * `budget.maxCost` only. Asked only by a pipeline that holds one.
 */
export const asksCostSteps = () => releasedPatch('pipeline-fleet-cost-steps');

/**
 * An input the starter validated against this worker's input schema revision (its memo names it,
 * src/domain/validated-input.ts) is not validated again: the pipeline's first workflow task no longer
 * evaluates zod and the schema. Asked only by starts that carry the memo.
 *
 * Not covered by the release marker: a replay asks it even where the run did not (a worker of another
 * schema revision replaying a run that trusted its starter), and only its own marker's absence tells
 * such a replay that the run validated (src/workflows/pipeline/input.ts).
 */
export const trustsStarterValidation = () => patched('pipeline-trusts-starter-validated-input');

/**
 * The fleet-budget question also asks whether the worker has a webhook (`workerPresence`, one
 * activity): a pipeline told it has none schedules no notification, not even the first, whose answer
 * said so before. Asked only by a pipeline that asks the fleet-budget question.
 */
export const asksWebhookWithBudgetPresence = () =>
  releasedPatch('pipeline-asks-webhook-with-fleet-budget-presence');

/**
 * The deployed checkpoint's protection record and the promotion into the slot are one activity
 * (`recordAndPromoteInSlot`: the record, then the promotion): one activity task and one workflow task
 * fewer. The promotion still comes only after the record is made.
 */
export const recordsWithPromotion = () => releasedPatch('pipeline-records-deployment-with-its-promotion');

/**
 * The gate's read of the slot's champion rides with the candidate's claim (`claimWithChampion`, one
 * activity) instead of going out as its own activity with the candidate's listing: one activity task
 * and the workflow task its answer woke fewer. Asked only by a pipeline that compares with its champion.
 */
export const readsChampionWithTheClaim = () => releasedPatch('pipeline-reads-champion-with-the-claim');

/**
 * The look before deploying asks the job's newest checkpoints together with the job's status instead
 * of after it: one round trip less, and one workflow task less beside the candidate's listing.
 */
export const readsNewestCheckpointsWithTheJob = () =>
  releasedPatch('pipeline-reads-newest-checkpoints-with-the-job');

/**
 * A deployment whose create answer already says it is active (a provider that deploys at once, an
 * adopted deployment that serves) is not read again before its smoke test: the read would only repeat
 * the provider's word, and the smoke test is what checks it. Asked only when a create answered active.
 */
export const believesActiveCreateAnswer = () => patched('pipeline-believes-an-active-create-answer');

/**
 * The claimed candidate's existence is asked inside the claim's activity (`claimWithChampion` with
 * `confirm`), right after the claim's answer, instead of by a `getCheckpoint` activity of its own: one
 * activity task and one workflow task fewer. A worker whose TensorOne requests are held to a rate limit
 * answers without it, and the pipeline asks on the provider's queue as before. Asked only by a pipeline
 * whose claim reads the champion and that confirms its candidate.
 */
export const confirmsCandidateWithItsClaim = () => patched('pipeline-confirms-candidate-with-its-claim');

/**
 * The cleanup child starts with the deployment instead of after the promotion: it lists the job's
 * checkpoints and asks what is in use while the pipeline deploys, and leases and deletes only once told
 * that the deployment serves (`deploymentServes`, with the pins made meanwhile) — by the promotion's
 * own activity, or by the pipeline when that could not tell it. Its start, first workflow task and
 * reads leave the path between the promotion and the deletions. A pipeline that fails before cancels
 * it and waits for its end. Asked only by a pipeline that cleans up.
 */
export const startsCleanupWithDeploy = () => patched('pipeline-starts-cleanup-with-its-deploy');
