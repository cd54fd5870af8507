import { ApplicationFailure, log } from '@temporalio/workflow';
import { chooseCandidate } from '../../decisions/candidate';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { ProtectionRequest } from '../../decisions/protection';
import type { ClaimWithChampion } from '../../activities/claim-with-champion';
import { paging, protectionRecords, provider } from '../activity-stubs';
import { listCandidateCheckpoints } from '../cleanup/checkpoint-pages';
import type { CandidateSummary } from './contract';
import type { KnownCheckpoints } from './operator-updates';
import { deployTargetOf } from './deploy-targets';
import { protect } from './protect';
import type { RunSafety } from './safety';
import { summarized } from '../summaries';
import { checkpointExists } from './checkpoint-exists';
import { claimsCandidate, confirmsCandidateWithItsClaim, confirmsClaimedCandidate } from './patches';
import type { ChampionWithClaim } from './reads-ahead';

/**
 * The candidate, held in the shared protection records before anything judges it. A cleanup may be
 * deleting the chosen checkpoint at this moment (it planned before this run chose): the registry
 * then refuses the claim and the choice is made again without it; one it deleted before the claim
 * is found gone by a look after it. Each pass excludes at least one checkpoint, so this ends.
 */
export async function claimedCandidate(
  spec: PipelineSpec,
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
  safety: RunSafety,
  known: KnownCheckpoints,
  champion?: ChampionWithClaim,
): Promise<CandidateSummary> {
  const registered = safety.owned && deployTargetOf(spec).steps.fromRegistry && providerName === 'tensorone';
  const claims = claimsCandidate();
  const excluded: string[] = [];
  for (;;) {
    const candidate = registered
      ? await registeredCandidate(spec, jobId)
      : await chooseCheckpoint(spec, jobId, providerName, excluded, known);
    if (!claims) {
      await protect([{ kind: 'candidate', checkpointId: candidate.checkpointId }]);
      if (champion) champion.seen(await protectionRecords.servingChampion(champion.slot));
      return candidate;
    }
    const requests: ProtectionRequest[] = [{ kind: 'candidate', checkpointId: candidate.checkpointId }];
    // The existence check rides with the claim where the claim reads the champion (asked in this order:
    // a history recorded before the ride asks `confirmsClaimedCandidate` only after the claim).
    const confirmsWithClaim =
      !!champion &&
      !registered &&
      providerName === 'tensorone' &&
      confirmsCandidateWithItsClaim() &&
      confirmsClaimedCandidate();
    // With the champion's read (the gate's baseline) where the gate compares with it: one activity.
    const answer: ClaimWithChampion = champion
      ? await claimReadingChampion(requests, champion, confirmsWithClaim ? candidate.checkpointId : undefined)
      : await protectionRecords.claimProtection(requests);
    if (answer.beingDeleted.length === 0) {
      if (registered || providerName !== 'tensorone' || !confirmsClaimedCandidate()) return candidate;
      const confirm = (id: string) =>
        summarized(provider.getCheckpoint, `confirm claimed candidate ${id} still exists`, id);
      // Answered by the claim's activity, or (a worker held to a rate limit) asked on the provider's queue.
      if (answer.stillThere ?? (await checkpointExists(confirm, candidate.checkpointId))) return candidate;
      log.info(`candidate ${candidate.checkpointId} was deleted before this run claimed it: choosing again`);
      excluded.push(candidate.checkpointId);
      continue;
    }
    const taken = answer.beingDeleted.map((d) => `${d.checkpointId} (being deleted by ${d.by})`).join(', ');
    // The registry's model is made from the final checkpoint, which no retention policy deletes.
    if (registered)
      throw ApplicationFailure.nonRetryable(
        `the checkpoint of job ${jobId}'s registered model is being deleted: ${taken}`,
        'CHECKPOINT_BEING_DELETED',
      );
    log.info(`candidate ${taken}: choosing again without it`);
    excluded.push(...answer.beingDeleted.map((d) => d.checkpointId));
  }
}

/** The claim, and the champion read with it (told to `champion`); with `confirm`, whether it is still there. */
async function claimReadingChampion(
  requests: ProtectionRequest[],
  champion: ChampionWithClaim,
  confirm?: string,
): Promise<ClaimWithChampion> {
  const answer = await summarized(
    protectionRecords.claimWithChampion,
    `claim candidate ${requests.map((r) => r.checkpointId).join(', ')}; what serves ${champion.slot} now?` +
      (confirm ? ` is ${confirm} still there?` : ''),
    { requests, slot: champion.slot, ...(confirm ? { confirm } : {}) },
  );
  champion.seen(answer.champion);
  return answer;
}

/** The candidate by the declared policy, cross-checked against the provider's own best checkpoint. */
async function chooseCheckpoint(
  spec: PipelineSpec,
  jobId: string,
  providerName: 'tensorone' | 'marqtune',
  excluded: readonly string[] = [],
  known?: KnownCheckpoints,
): Promise<CandidateSummary> {
  if (providerName === 'marqtune') {
    // Marqtune lists per-epoch checkpoints without metrics: the last completed epoch is the candidate.
    const model = await provider.getMarqtuneModel(jobId);
    if (known) known.listed = new Set(model.checkpointIds);
    const usable = model.checkpointIds.filter((id) => !excluded.includes(id));
    const last = usable[usable.length - 1];
    if (!last)
      throw ApplicationFailure.nonRetryable(`Marqtune model ${jobId} has no checkpoint`, 'NO_CANDIDATE');
    return {
      checkpointId: last,
      epoch: model.checkpointIds.indexOf(last) + 1,
      type: 'automatic',
      metric: spec.selection.metric,
      value: Number.NaN,
      metrics: {},
    };
  }
  const listing = await listCandidateCheckpoints(jobId, spec.selection);
  const { bestCheckpointId, totalCount } = listing;
  const checkpoints = listing.checkpoints.filter((c) => !excluded.includes(c.id));
  if (listing.complete && known) known.listed = new Set(listing.checkpoints.map((c) => c.id));
  const choice = chooseCandidate(checkpoints, spec.selection, bestCheckpointId);
  if (!choice) {
    throw ApplicationFailure.nonRetryable(
      `job ${jobId} has no deployable checkpoint with metric "${spec.selection.metric}"`,
      'NO_CANDIDATE',
    );
  }
  const c = choice.checkpoint;
  return {
    checkpointId: c.id,
    epoch: c.epoch,
    type: c.type,
    metric: spec.selection.metric,
    value: choice.value,
    metrics: c.metrics,
    considered: choice.considered,
    totalCheckpoints: Math.max(totalCount, checkpoints.length),
    ...(bestCheckpointId
      ? { providerBestCheckpointId: bestCheckpointId, agreesWithProviderBest: choice.agreesWithProviderBest }
      : {}),
  };
}

/**
 * Registry target: the registry deploys the job's registered model, so that model is the candidate —
 * the gate judges its metric as the registry reports it, and the result names it. The job's final
 * checkpoint (what the registered model is made from) is kept out of cleanup as the deployed one.
 */
async function registeredCandidate(spec: PipelineSpec, jobId: string): Promise<CandidateSummary> {
  const listed = (await provider.listRegisteredModels({ trainingJobId: jobId, limit: 100 })).models;
  const ours = listed.find((m) => m.trainingJobId === jobId);
  if (!ours) {
    const others = listed.map((m) => `${m.id} (job ${m.trainingJobId ?? 'unknown'})`).join(', ');
    throw ApplicationFailure.nonRetryable(
      `job ${jobId} has no registered model to deploy${others ? `; the registry answered only ${others}` : ''}`,
      'MODEL_NOT_FOUND',
    );
  }
  const model = await provider.getRegisteredModel(ours.id);
  const value = model.metrics[spec.selection.metric];
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw ApplicationFailure.nonRetryable(
      `registered model ${model.id} of job ${jobId} reports no metric "${spec.selection.metric}" to gate on`,
      'NO_CANDIDATE',
    );
  }
  // The final checkpoint is the job's newest: the first page of the newest-first list holds it.
  const newest = await paging.listCheckpoints({
    jobId,
    includeMetrics: false,
    sortBy: 'createdAt',
    sortOrder: 'desc',
    limit: 100,
  });
  const final = newest.checkpoints.find((c) => c.type === 'final');
  return {
    checkpointId: final?.id ?? model.id,
    epoch: final?.epoch,
    type: final ? 'final' : 'registered-model',
    metric: spec.selection.metric,
    value,
    metrics: model.metrics,
    registeredModelId: model.id,
  };
}
