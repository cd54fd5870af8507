import { defineSignal, setHandler } from '@temporalio/workflow';
import { progressQuery } from './contract';
import type { Supervision } from './state';

/** Stops the job (saving a checkpoint) and ends supervision; for standalone supervisions. */
export const stopSupervisedJobSignal = defineSignal<[{ reason?: string }?]>('stopJob');

/** The progress query, and the operator's stop (which cancels the watch in flight). */
export function installSupervisionHandlers(sup: Supervision): void {
  setHandler(progressQuery, () => sup.st.latest);
  setHandler(stopSupervisedJobSignal, (req) => {
    sup.stopRequested = req ?? {};
    sup.watchScope?.cancel();
  });
}
