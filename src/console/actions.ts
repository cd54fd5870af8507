/**
 * The console's actions: the same validated Updates the CLI sends, through the CLI's own code
 * (`sendUpdate`, `rollbackSlot`, its flag checks and answer lines). The outcome is the lines the CLI
 * would print: its answer, `refused: …` when the workflow refused, `error: …` for bad input.
 */
import type { Client } from '@temporalio/client';
import { InvalidArgumentError } from 'commander';
import { cancelLines, decisionLine, pinLine, rollbackLine, unpinLine } from '../cli/answer-lines';
import { idFlag, textFlag } from '../cli/flags';
import { NotFound } from '../cli/exit-codes';
import { endedRefusal, OperatorRefusal, rollbackSlot, sendUpdate } from '../cli/operator';
import {
  approveUpdate,
  cancelUpdate,
  pinUpdate,
  rejectUpdate,
  unpinUpdate,
} from '../workflows/pipeline/contract';

export const PIPELINE_ACTIONS = ['approve', 'reject', 'cancel', 'pin', 'unpin'] as const;
export type PipelineAction = (typeof PIPELINE_ACTIONS)[number];

export interface ActionOutcome {
  kind: 'ok' | 'refused' | 'error';
  lines: string[];
}

/** A form field checked by the CLI's parser for the flag it stands for; blank means absent. */
function field<T>(form: URLSearchParams, name: string, parse: (v: string) => T): T | undefined {
  const value = form.get(name);
  if (value === null || value === '') return undefined;
  try {
    return parse(value);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${name}: ${e.message}`);
    throw e;
  }
}

/** Runs `act`, turning the CLI's refusals and bad input into what the CLI prints for them. */
async function outcome(act: () => Promise<string[]>): Promise<ActionOutcome> {
  try {
    return { kind: 'ok', lines: await act() };
  } catch (e) {
    // A pipeline that is not there is refused here as the CLI refused it (the CLI now exits 3 for it).
    if (e instanceof OperatorRefusal || e instanceof NotFound)
      return { kind: 'refused', lines: [`refused: ${e.message}`] };
    if (e instanceof InvalidArgumentError) return { kind: 'error', lines: [`error: ${e.message}`] };
    throw e;
  }
}

/** An action on a pipeline, from the form the operator sent. */
export function pipelineAction(
  client: Client,
  workflowId: string,
  action: PipelineAction,
  form: URLSearchParams,
): Promise<ActionOutcome> {
  return outcome(async () => {
    const handle = client.workflow.getHandle(workflowId);
    const reason = field(form, 'reason', textFlag('--reason', 500));
    const by = field(form, 'by', textFlag('--by', 100));
    switch (action) {
      case 'approve':
      case 'reject': {
        // The candidate the page showed: a pipeline now awaiting another one refuses it as stale.
        const checkpointId = field(form, 'checkpointId', idFlag('checkpointId'));
        if (!checkpointId) throw new InvalidArgumentError('checkpointId: the candidate you saw is required');
        const answer = await sendUpdate(handle, action === 'approve' ? approveUpdate : rejectUpdate, {
          checkpointId,
          by,
          reason,
        });
        return [decisionLine(workflowId, answer)];
      }
      case 'cancel':
        return cancelLines(workflowId, await sendUpdate(handle, cancelUpdate, { reason }));
      case 'pin':
      case 'unpin': {
        const checkpointId = field(form, 'checkpointId', idFlag('checkpointId'));
        if (!checkpointId) throw new InvalidArgumentError('checkpointId: which checkpoint is required');
        const ended = await endedRefusal(handle);
        if (ended)
          throw new OperatorRefusal(
            `${ended.message}: ${action} its checkpoints with \`starter ${action} ${workflowId} ${checkpointId}\``,
          );
        return action === 'pin'
          ? [pinLine(workflowId, checkpointId, await sendUpdate(handle, pinUpdate, { checkpointId }))]
          : [unpinLine(workflowId, checkpointId, await sendUpdate(handle, unpinUpdate, { checkpointId }))];
      }
    }
  });
}

/** Rollback of a serving slot, from the form the operator sent. */
export function slotRollback(
  client: Client,
  taskQueue: string,
  name: string,
  form: URLSearchParams,
): Promise<ActionOutcome> {
  return outcome(async () => {
    const reason = field(form, 'reason', textFlag('--reason', 500));
    const by = field(form, 'by', textFlag('--by', 100));
    return [rollbackLine(name, await rollbackSlot(client, taskQueue, name, { by, reason }))];
  });
}
