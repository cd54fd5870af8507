import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import cliProgress from 'cli-progress';
import { statusQuery, type PipelineResult, type PipelineStatus } from '../workflows/pipeline/contract';
import type { fineTuneToDeploy } from '../workflows/pipeline';
import { latestLook, withLatestLook } from './latest-look';
import { costText, sparkline } from './render';
import { sweepLines } from './sweep-table';

interface FollowOptions {
  /** Draw a live bar (a terminal) or print a line per change (a pipe, CI). */
  interactive: boolean;
  intervalMs?: number;
  write?: (line: string) => void;
  /** Why nothing moves, asked once when the pipeline has not got past "starting" after `stuckAfterMs`. */
  noWorker?: () => Promise<string | undefined>;
  stuckAfterMs?: number;
}

/**
 * Follows a pipeline until it ends, showing phase, epoch, step, loss (with a sparkline) and cost.
 * Resolves with the result; rejects with the failure's cause.
 */
export async function followPipeline(
  handle: WorkflowHandle<typeof fineTuneToDeploy>,
  options: FollowOptions,
): Promise<PipelineResult> {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const losses: number[] = [];
  const bar = options.interactive
    ? new cliProgress.SingleBar(
        {
          format: '{phase} |{bar}| {percentage}% epoch {epoch} step {step} loss {loss} {spark} cost {cost}',
          hideCursor: true,
          clearOnComplete: false,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(100, 0, { phase: 'starting', epoch: '-', step: '-', loss: '-', spark: '', cost: '-' });
  let lastLine = '';
  let lastTable = '';
  let approvalAsked = false;
  let barValue = 0;
  let barFields: Record<string, string> = {};
  /**
   * A note above the bar, not through it: a line written while the bar redraws its own line is torn
   * (a long one that wraps loses its second half). The bar stops, the note prints, a new bar goes on.
   */
  const note = (text: string) => {
    if (!bar) return write(text);
    bar.stop();
    write(text);
    bar.start(100, barValue, barFields);
  };
  const render = (s: PipelineStatus) => {
    // A sweep's trials table (above the bar: its line is cleared first).
    // Printed when a trial starts, is judged at a rung or ends (not at every epoch: the lines would scroll).
    const moves = s.sweep ? JSON.stringify(s.sweep.trials.map((t) => [t.state, t.rungs.length])) : '';
    if (s.sweep && moves !== lastTable) write(`${bar ? '\r\x1b[2K' : ''}${sweepLines(s.sweep).join('\n')}`);
    lastTable = moves;
    if (s.phase === 'awaiting-approval' && !approvalAsked) {
      approvalAsked = true;
      note(`\n${approvalHint(handle.workflowId, s)}\n`);
    }
    const t = s.training;
    if (t?.metrics.loss !== undefined && losses[losses.length - 1] !== t.metrics.loss)
      losses.push(t.metrics.loss);
    const fields = {
      phase: s.phase.padEnd(17),
      epoch: `${t?.epoch ?? '-'}/${t?.totalEpochs ?? '-'}`,
      step: `${t?.step ?? '-'}/${t?.totalSteps ?? '-'}`,
      loss: t?.metrics.loss?.toFixed(4) ?? '-',
      spark: sparkline(losses),
      cost: costText(t),
    };
    if (bar) {
      barValue = Math.round(t?.percentage ?? 0);
      barFields = fields;
      bar.update(barValue, fields);
    } else {
      const line = `${fields.phase.trim()} epoch ${fields.epoch} step ${fields.step} loss ${fields.loss} cost ${fields.cost}`;
      if (line !== lastLine) write(line);
      lastLine = line;
    }
  };
  // A pipeline no worker picks up stays at "starting": after a few seconds, say why instead of 0 %.
  let started = false;
  const stuckCheck = setTimeout(() => {
    if (started || !options.noWorker) return;
    options.noWorker().then(
      (message) => {
        if (message && !started) note(`\n${message}\n`);
      },
      () => undefined,
    );
  }, options.stuckAfterMs ?? 5000);
  // The workflow's status, with the watch's latest look laid over it: the workflow itself reports only
  // on a change of status (or every reportEvery), its watch looks at every poll.
  let inFlight = false;
  const ticker = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    Promise.all([
      handle.query(statusQuery),
      latestLook(handle.client, handle.workflowId).catch(() => undefined),
    ])
      .then(([s, look]) => {
        started = true;
        render(s.phase === 'training' ? { ...s, training: withLatestLook(s.training, look) } : s);
      })
      .catch(() => undefined)
      .finally(() => (inFlight = false));
  }, options.intervalMs ?? 500);
  try {
    const result = await handle.result();
    render(
      await handle
        .query(statusQuery)
        .catch(
          () =>
            ({ phase: 'completed', provider: result.provider, pinned: [], updatedAt: '' }) as PipelineStatus,
        ),
    );
    return result;
  } catch (err) {
    throw new PipelineFailed(failureCause(err));
  } finally {
    clearInterval(ticker);
    clearTimeout(stuckCheck);
    bar?.stop();
  }
}

/** The pipeline ended without a result (failed, rejected, cancelled): an outcome, not a CLI fault. */
export class PipelineFailed extends Error {
  override name = 'PipelineFailed';
}

/** What the operator types next while a pipeline waits at its gate, one command a line. */
export function approvalHint(workflowId: string, s: PipelineStatus): string {
  const checkpoint = s.candidate ? ` --checkpoint ${s.candidate.checkpointId}` : '';
  const until = s.awaitingApprovalUntil ? ` until ${s.awaitingApprovalUntil}` : '';
  return [
    `awaiting approval${until}:`,
    `  approve: npx starter approve ${workflowId}${checkpoint}`,
    `  reject:  npx starter reject ${workflowId} --reason "…"`,
  ].join('\n');
}

/** The innermost cause of a workflow failure, as one line: "TYPE: message". */
export function failureCause(err: unknown): string {
  let cause: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  let text = err instanceof Error ? err.message : String(err);
  while (cause) {
    if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
    text = (cause as Error).message ?? text;
    cause = (cause as Error & { cause?: unknown }).cause;
  }
  return text;
}
