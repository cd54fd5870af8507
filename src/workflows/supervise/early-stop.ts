import { setCurrentDetails } from '@temporalio/workflow';
import { earlyStopReport, earlyStopVerdict, mergeMetricHistory } from '../../decisions/early-stop';
import { earlyStopTrendVerdict } from '../../decisions/early-stop-trend';
import type { TrainingJob } from '../../domain/types';
import { provider } from '../activity-stubs';
import type { SupervisionResult } from './contract';
import { summarized } from '../summaries';
import { fetchJob } from './look';
import { judgesEarlyStopOnTrend } from './patches';
import type { Supervision } from './state';
import { stopUnlessEnded } from './stop';

/**
 * At a look at a running job that reached a new epoch: reads its checkpoints' metric and asks the
 * early-stop rule (src/decisions/early-stop.ts). When it says stop, the job is stopped with a saved
 * checkpoint and the supervision ends `early-stopped` (the result; undefined: look again), once: the stop is in the history, the supervision
 * ends right after it, and the history judged so far is carried across continue-as-new. A job that
 * ended between the look and the stop (the stop answers 409) is looked at again: nothing stopped.
 */
export async function stopEarlyIfDue(
  sup: Supervision,
  job: TrainingJob,
): Promise<SupervisionResult | undefined> {
  const rule = sup.input.earlyStop!;
  const epoch = job.progress.currentEpoch;
  const carried = (sup.st.earlyStop ??= { history: [] });
  if (job.status !== 'running' || epoch === undefined || epoch === carried.judgedEpoch) return undefined;
  carried.trend ??= judgesEarlyStopOnTrend();
  // The newest epochs are read again: a resume from an earlier checkpoint trains them anew.
  const newest = carried.history.at(-1)?.epoch;
  const afterEpoch = newest !== undefined ? newest - rule.patience : undefined;
  const listed = await summarized(
    provider.checkpointMetricHistory,
    `read ${rule.metric} of job ${sup.jobId}'s checkpoints${afterEpoch !== undefined ? ` after epoch ${afterEpoch}` : ''} (early stop)`,
    { jobId: sup.jobId, metric: rule.metric, ...(afterEpoch !== undefined ? { afterEpoch } : {}) },
  );
  carried.history = mergeMetricHistory(carried.history, listed);
  carried.judgedEpoch = epoch;
  const verdict = (carried.trend ? earlyStopTrendVerdict : earlyStopVerdict)(
    carried.history,
    rule,
    job.progress.totalEpochs,
  );
  if (!verdict.stop) return undefined;
  const report = earlyStopReport(rule, verdict, { totalEpochs: job.progress.totalEpochs });
  if (!(await stopUnlessEnded(sup, `early stop: ${verdict.reason}`))) return undefined;
  const stopped = await fetchJob(sup);
  const { st } = sup;
  const final = earlyStopReport(rule, verdict, {
    totalEpochs: report.totalEpochs,
    gpuHours: stopped.gpuHours,
    cost: stopped.cost,
  });
  setCurrentDetails(
    `job \`${sup.jobId}\` ${final.text}: best ${rule.metric} ${final.bestValue} at epoch ${final.bestEpoch}`,
  );
  return {
    jobId: sup.jobId,
    provider: sup.input.provider,
    outcome: 'early-stopped',
    job: stopped,
    resumes: st.resumes,
    polls: st.polls,
    runs: st.runs,
    ...(st.latest
      ? {
          progress: {
            ...st.latest,
            status: stopped.status,
            rawStatus: stopped.rawStatus,
            cost: stopped.cost,
          },
        }
      : {}),
    earlyStop: final,
  };
}
