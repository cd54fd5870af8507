import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  afterDecision,
  cancelEffects,
  cancelRefusal,
  decisionRefusal,
  pinRefusal,
  unpinRefusal,
  type RecordedDecision,
} from '../../decisions/operator';
import {
  approveUpdate,
  cancelUpdate,
  pinUpdate,
  rejectUpdate,
  unpinUpdate,
  type DecisionAnswer,
  type DecisionRequest,
  type PinAnswer,
  type PipelineStatus,
  type UnpinAnswer,
} from './contract';
import { protectionRegistryId, unpinSignal } from '../protection/contract';
import { applicationCause, describeFailure } from '../failure-cause';
import { pinOwnershipRefusal, type PinListing } from '../../decisions/pin-ownership';
import { lookInJobListing } from './pin-listing';
import { checkpointExists } from './checkpoint-exists';
import { pinChecksJobListing, pinConfirmsCheckpoint } from './patches';

/**
 * A pin of a checkpoint the pipeline has not listed asks the provider: a few quick tries, so an
 * operator waiting on `starter pin` gets an answer (or the provider's failure) within a minute or two.
 */
const lookup = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 5 },
});

/** How long a pin sent before the pipeline knows its job waits for the job's create to answer. */
const JOB_ID_WAIT = '2 minutes';

export interface Decision extends RecordedDecision {
  reason?: string;
}

/** What the pipeline knows of its job's checkpoints, for refusing pins it can tell are wrong. */
export interface KnownCheckpoints {
  /** Every checkpoint of the job, once the pipeline listed them all (while choosing its candidate). */
  listed?: Set<string>;
  /** Deleted by this pipeline's cleanup. */
  deleted: Set<string>;
}

interface OperatorContext {
  status: PipelineStatus;
  decision: () => Decision | undefined;
  decide: (d: Decision) => void;
  cancelRequested: () => boolean;
  requestCancel: (reason?: string) => void;
  known: KnownCheckpoints;
  /**
   * Claims a pin in the shared protection records (every cleanup keeps it from then on); answers the
   * cleanup deleting the checkpoint right now, when one is (then nothing is recorded).
   */
  recordPin: (checkpointId: string) => Promise<string | undefined>;
}

/**
 * The operator's commands as Updates with validators: a refused one changes nothing and its reason
 * reaches the caller; an accepted one answers what it did. Rules: src/decisions/operator.ts.
 */
export function installOperatorUpdates(ctx: OperatorContext): void {
  const { status, known } = ctx;
  const gate = () => ({
    phase: status.phase,
    candidateId: status.candidate?.checkpointId,
    decision: ctx.decision(),
  });
  const refuse = (reason: string | undefined) => {
    if (reason) throw new Error(reason);
  };

  for (const [update, approved] of [
    [approveUpdate, true],
    [rejectUpdate, false],
  ] as const) {
    setHandler(
      update,
      (req: DecisionRequest): DecisionAnswer => {
        const checkpointId = status.candidate!.checkpointId;
        ctx.decide({ approved, by: req.by, reason: req.reason, checkpointId });
        return {
          decision: approved ? 'approved' : 'rejected',
          checkpointId,
          by: req.by,
          reason: req.reason,
          next: afterDecision(approved, checkpointId),
        };
      },
      { validator: (req: DecisionRequest) => refuse(decisionRefusal(gate(), req?.checkpointId)) },
    );
  }

  const pinFacts = () => ({
    phase: status.phase,
    jobId: status.jobId,
    pinned: status.pinned,
    deleted: known.deleted,
    listed: known.listed,
  });
  setHandler(
    pinUpdate,
    async ({ checkpointId }): Promise<PinAnswer> => {
      // A pin sent while the job's create is still answering (the provider has the job, the pipeline
      // not yet its id) waits for that answer, for as long as an operator waits on a command.
      if (!status.jobId && !(await condition(() => status.jobId !== undefined, JOB_ID_WAIT)))
        throw ApplicationFailure.nonRetryable(
          `the pipeline has no training job after ${JOB_ID_WAIT}: there is no checkpoint to pin`,
          'PIN_REFUSED',
        );
      const jobId = status.jobId!;
      if (status.pinned.includes(checkpointId))
        return { checkpointId, jobId, result: 'already-pinned', checkedBy: 'listing' };
      const checkedBy = known.listed ? 'listing' : 'provider';
      if (!known.listed) await confirmWithProvider(status, checkpointId);
      // The pipeline moved on while the provider answered: ask again with what it knows now.
      const late = pinRefusal(pinFacts(), checkpointId);
      if (late) throw ApplicationFailure.nonRetryable(late, 'PIN_REFUSED');
      const deletingBy = await ctx.recordPin(checkpointId);
      if (deletingBy)
        throw ApplicationFailure.nonRetryable(
          `checkpoint ${checkpointId} is being deleted by cleanup ${deletingBy}: not pinned`,
          'PIN_REFUSED',
        );
      if (
        status.provider !== 'marqtune' &&
        pinConfirmsCheckpoint() &&
        !(await checkpointExists((id) => lookup.getCheckpoint(id), checkpointId))
      ) {
        await forgetSharedPin(checkpointId);
        throw ApplicationFailure.nonRetryable(
          `checkpoint ${checkpointId} is gone at TensorOne (deleted since the pipeline listed it): not pinned`,
          'PIN_REFUSED',
        );
      }
      if (!status.pinned.includes(checkpointId)) status.pinned.push(checkpointId);
      return { checkpointId, jobId, result: 'pinned', checkedBy };
    },
    { validator: ({ checkpointId }) => refuse(pinRefusal(pinFacts(), checkpointId)) },
  );

  setHandler(
    unpinUpdate,
    async ({ checkpointId }): Promise<UnpinAnswer> => {
      status.pinned.splice(status.pinned.indexOf(checkpointId), 1);
      const sharedRecord = await forgetSharedPin(checkpointId);
      return { checkpointId, result: 'unpinned', sharedRecord, pinned: [...status.pinned] };
    },
    { validator: ({ checkpointId }) => refuse(unpinRefusal(status.pinned, checkpointId)) },
  );

  setHandler(
    cancelUpdate,
    (req: { reason?: string }) => {
      const answer = {
        phase: status.phase,
        effects: cancelEffects({ phase: status.phase, jobId: status.jobId, deployment: status.deployment }),
      };
      ctx.requestCancel(req?.reason);
      return answer;
    },
    { validator: (_req: { reason?: string }) => refuse(cancelRefusal(status.phase, ctx.cancelRequested())) },
  );
}

/** Removes this pipeline's pin from the shared records; signalled from here, so it goes with the pipeline's own list. */
function forgetSharedPin(checkpointId: string): Promise<'removed' | 'no-registry'> {
  const { workflowId, taskQueue } = workflowInfo();
  return getExternalWorkflowHandle(protectionRegistryId(taskQueue))
    .signal(unpinSignal, { workflowId, checkpointIds: [checkpointId] })
    .then(
      () => 'removed' as const,
      () => 'no-registry' as const,
    );
}

/**
 * Only the provider can tell whether a checkpoint the pipeline has not listed exists and is its job's:
 * ask it, and refuse (the update fails with this reason) unless the job's own list shows it.
 */
async function confirmWithProvider(status: PipelineStatus, checkpointId: string): Promise<void> {
  const jobId = status.jobId!;
  if (status.provider === 'marqtune') {
    const model = await lookup.getMarqtuneModel(jobId);
    if (!model.checkpointIds.includes(checkpointId))
      throw ApplicationFailure.nonRetryable(
        `checkpoint ${checkpointId} is not one of the ${model.checkpointIds.length} checkpoints of Marqtune model ${jobId}`,
        'PIN_REFUSED',
      );
    return;
  }
  if (pinChecksJobListing()) {
    let listing: PinListing;
    try {
      listing = await lookInJobListing(lookup.listCheckpoints, jobId, checkpointId);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(
        `could not list the checkpoints of job ${jobId} at TensorOne: ${describeFailure(err)}; nothing pinned`,
        'PIN_UNCHECKED',
      );
    }
    const refusal = pinOwnershipRefusal(jobId, checkpointId, listing);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'PIN_REFUSED');
    return;
  }
  let owner: string | undefined;
  try {
    owner = (await lookup.getCheckpoint(checkpointId)).jobId;
  } catch (err) {
    const cause = applicationCause(err);
    if (cause?.type === 'CHECKPOINT_NOT_FOUND')
      throw ApplicationFailure.nonRetryable(
        `checkpoint ${checkpointId} does not exist at TensorOne (deleted, or never made)`,
        'PIN_REFUSED',
      );
    throw ApplicationFailure.nonRetryable(
      `could not check checkpoint ${checkpointId} with TensorOne: ${describeFailure(err)}; nothing pinned`,
      'PIN_UNCHECKED',
    );
  }
  if (owner !== undefined && owner !== jobId)
    throw ApplicationFailure.nonRetryable(
      `checkpoint ${checkpointId} belongs to job ${owner}, not to this pipeline's job ${jobId}`,
      'PIN_REFUSED',
    );
}
