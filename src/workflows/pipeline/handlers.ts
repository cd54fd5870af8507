import { CancellationScope, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { decisionRefusal } from '../../decisions/operator';
import { currentDetails } from './current-details';
import {
  approveSignal,
  cancelSignal,
  pinSignal,
  rejectSignal,
  statusQuery,
  type PipelineStatus,
} from './contract';
import { supervisionProgressSignal } from '../supervise/contract';
import { installOperatorUpdates, type Decision, type KnownCheckpoints } from './operator-updates';
import { protectionRecords } from '../activity-stubs';
import { protect } from './protect';
import { iso, moveTo } from './status';
import { operatorUpdates } from './patches';
import { trainingReported } from '../../decisions/pipeline-status';
import { sweepTrialsQuery } from '../sweep/contract';

/** What the operator and the supervising child told the pipeline. */
interface OperatorInputs {
  decision(): Decision | undefined;
  cancelRequested(): boolean;
  /** Settles once every pin so far is in the protection records (or failed to get there). */
  pinsRecorded(): Promise<unknown>;
}

/**
 * The pipeline's query, signals and updates: the status it answers, the supervising child's progress,
 * approve/reject, pins and cancel (which cancels `pipelineScope`).
 */
export function installPipelineHandlers(
  status: PipelineStatus,
  pipelineScope: CancellationScope,
  known: KnownCheckpoints,
): OperatorInputs {
  let decision: Decision | undefined;
  let cancelRequest: { reason?: string } | undefined;
  const operatorRules = operatorUpdates();

  setHandler(statusQuery, () => status);
  // Answered from the start (undefined until a sweep begins): `starter status` may ask at any moment.
  setHandler(sweepTrialsQuery, () => status.sweep);
  setHandler(supervisionProgressSignal, (p) => {
    moveTo(status, trainingReported(status, p, iso()));
    setCurrentDetails(currentDetails(status));
  });
  /** A signalled decision: under the operator rules, ignored where the update would be refused. */
  const signalled = (approved: boolean, d?: { by?: string; reason?: string }) => {
    if (!operatorRules) return void (decision ??= { approved, ...d });
    const checkpointId = status.candidate?.checkpointId;
    const gate = { phase: status.phase, candidateId: checkpointId, decision };
    if (decisionRefusal(gate, checkpointId) === undefined) decision = { approved, ...d, checkpointId };
  };
  setHandler(approveSignal, (d) => signalled(true, d));
  setHandler(rejectSignal, (d) => signalled(false, d));
  let pinsRecorded: Promise<unknown> = Promise.resolve();
  setHandler(pinSignal, (checkpointId) => {
    if (status.pinned.includes(checkpointId)) return;
    status.pinned.push(checkpointId);
    // A pin holds against every cleanup, not only this pipeline's own.
    pinsRecorded = pinsRecorded.then(() =>
      protect([{ kind: 'pinned', checkpointId }]).catch(() => undefined),
    );
  });
  setHandler(cancelSignal, (req) => {
    cancelRequest = req ?? {};
    pipelineScope.cancel();
  });
  installOperatorUpdates({
    status,
    decision: () => decision,
    decide: (d) => void (decision = d),
    cancelRequested: () => cancelRequest !== undefined,
    requestCancel: (reason) => {
      cancelRequest = { reason };
      pipelineScope.cancel();
    },
    known,
    recordPin: async (checkpointId) => {
      const { beingDeleted } = await protectionRecords.claimProtection([{ kind: 'pinned', checkpointId }]);
      return beingDeleted.find((d) => d.checkpointId === checkpointId)?.by;
    },
  });
  return {
    decision: () => decision,
    cancelRequested: () => cancelRequest !== undefined,
    pinsRecorded: () => pinsRecorded,
  };
}
