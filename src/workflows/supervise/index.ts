import { continueAsNew, workflowInfo } from '@temporalio/workflow';
import { historyFull } from '../../decisions/supervision';
import type { SuperviseInput, SupervisionResult } from './contract';
import { act, decide, finishesNow } from './act';
import { installSupervisionHandlers } from './handlers';
import { lookOnce, nextLookDelayMs, sleepUnlessStopped, watchUntilReport } from './look';
import { finalProgressInResult, watchesBetweenReports } from './patches';
import { progressChanged, recordLook, signalParent } from './report';
import { stopEarlyIfDue } from './early-stop';
import { beginSupervision, earlyStopping } from './state';
import { leaveNothingTraining } from './stop';

export { stopSupervisedJobSignal } from './handlers';

/**
 * Supervises one training job for as long as it runs (days): looks at it at an adaptive interval,
 * records progress and new checkpoints, stops-and-resumes on stalls, preemptions and resumable
 * failures within a budget, stops at a cost budget, and continues-as-new before its history grows
 * large. Between reports (a status change, a stall, the cost budget, or every `reportEvery`)
 * the looks are one watching activity's retries, which add no history and no workflow task.
 * Cancelled or failed, it stops the job it owns, keeping a checkpoint. Usable alone and as the
 * pipeline's child.
 */
export async function superviseTrainingJob(input: SuperviseInput): Promise<SupervisionResult> {
  const sup = beginSupervision(input);
  installSupervisionHandlers(sup);
  try {
    for (;;) {
      // ---- look: a watch until there is something to report (before the watch: one poll) ----
      const watched = watchesBetweenReports();
      const look = watched ? await watchUntilReport(sup) : await lookOnce(sup);
      recordLook(sup, look);
      const { job } = look;
      if (progressChanged(sup) && !(finishesNow(sup, job) && finalProgressInResult()))
        await signalParent(sup);

      // ---- decide and act: finish, give up, stop at the budget, resume, or look again ----
      const step = decide(sup, job);
      // ---- stop early: a running job whose checkpoints stopped improving ----
      if (step.kind === 'look-again' && earlyStopping(sup)) {
        const stopped = await stopEarlyIfDue(sup, job);
        if (stopped) return stopped;
      }
      const finished = await act(sup, step, job);
      if (finished) return finished;

      // ---- continue as new before the history grows large ----
      if (historyFull(workflowInfo(), input.historyEventLimit))
        await continueAsNew<typeof superviseTrainingJob>({ ...input, carried: sup.st });

      // ---- wait until the next look: the next watch waits it out (before the watch: a timer) ----
      const delayMs = nextLookDelayMs(sup, job);
      if (watched) sup.nextLookAtMs = Date.now() + delayMs;
      else await sleepUnlessStopped(sup, delayMs);
    }
  } catch (err) {
    throw await leaveNothingTraining(sup, err);
  }
}
