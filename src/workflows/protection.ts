import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { holderKey, mergeRecords, type ProtectionRecord } from '../decisions/protection';
import {
  forgetCandidatesSignal,
  protectionRecordsQuery,
  protectSignal,
  unpinSignal,
  type ProtectionRegistryInput,
} from './definitions';

const DEFAULT_HISTORY_EVENT_LIMIT = 5000;

/**
 * The system's own record of checkpoints in use — candidates of pipelines in flight, pins, and what
 * pipelines deployed — kept in Temporal, so every cleanup (a pipeline's child, `starter cleanup`, the
 * Schedule) asks one place, whatever routes a provider offers. Pipelines write through the
 * `recordProtection` activity (signal-with-start); cleanups read through `protectedCheckpoints` (a
 * query: it sees every signal accepted before it). Why a workflow and not search attributes:
 * visibility is eventually consistent, forgets closed pipelines after the namespace's retention, and
 * the time-skipping test server does not answer it; this workflow runs for good (continue-as-new
 * carries the records). A `deployed` record stays until the checkpoint is gone; keeping too much is
 * the safe side.
 */
export async function checkpointProtection(input: ProtectionRegistryInput = {}): Promise<void> {
  let records: ProtectionRecord[] = input.records ?? [];
  setHandler(protectSignal, (added) => void (records = mergeRecords(records, added)));
  setHandler(forgetCandidatesSignal, (holders) => {
    const ended = new Set(holders.map(holderKey));
    records = records.filter((r) => r.kind !== 'candidate' || !ended.has(holderKey(r)));
  });
  setHandler(unpinSignal, ({ workflowId, checkpointIds }) => {
    const unpinned = new Set(checkpointIds);
    records = records.filter(
      (r) => r.kind !== 'pinned' || r.workflowId !== workflowId || !unpinned.has(r.checkpointId),
    );
  });
  setHandler(protectionRecordsQuery, () => records);
  const limit = input.historyEventLimit ?? DEFAULT_HISTORY_EVENT_LIMIT;
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit);
  await condition(allHandlersFinished);
  await continueAsNew<typeof checkpointProtection>({ ...input, records });
}
