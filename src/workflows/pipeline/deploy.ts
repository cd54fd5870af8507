import { ApplicationFailure, CancellationScope, isCancellation } from '@temporalio/workflow';
import { parseDuration } from '../../domain/duration';
import { absenceReason, isAbsent, type CapabilityAbsent } from '../../domain/capability';
import type { DeleteOutcome } from '../../activities/failures';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import type { CandidateSummary, DeploymentSummary, PipelinePhase, PipelineStatus } from './contract';
import { describeFailure } from '../failure-cause';
import { deployTargetOf, stepsOf } from './deploy-targets';
import { probeBesideChampion } from './probe';
import { throwIfCancelled, type RunSafety } from './safety';
import { add, moveTo, summarize } from './status';
import { waitUntilServing } from './until-serving';
import { deployed, deploymentLeftRunning, deploymentRemoved } from '../../decisions/pipeline-status';

/**
 * Deploys the candidate to the declared target, waits until it serves and smoke-tests it; a deployment
 * that fails any of that (or is cancelled meanwhile) is removed again, or named for removal by hand.
 */
export async function deployAndVerify(
  spec: PipelineSpec,
  jobId: string,
  candidate: CandidateSummary,
  status: PipelineStatus,
  phase: (p: PipelinePhase) => void,
  safety: RunSafety,
): Promise<DeploymentSummary> {
  const d = spec.deploy;
  let created: Deployment | undefined;
  const nameBasis = safety.nameBasis;
  /** A create runs to its end even when the pipeline is cancelled meanwhile, so it can be undone. */
  const create = async (
    call: () => Promise<Deployment & { inDoubt?: boolean; adopted?: boolean; name?: string }>,
  ): Promise<Deployment> => {
    if (!safety.owned) return call();
    const made = await CancellationScope.nonCancellable(call);
    // An earlier attempt's create may be acted on late, and no documented lookup finds a deployment by
    // name: unless that attempt's deployment was found and adopted, a second one may exist.
    if (made.inDoubt && !made.adopted)
      add(status, 'possibleDuplicates', `${d.target} named ${made.name ?? made.id}`);
    return made;
  };
  const { steps } = deployTargetOf(spec);
  try {
    created = await steps.create({ spec, deploy: d, jobId, candidate, nameBasis }, create);
    moveTo(status, deployed(status, summarize(d.target, created)));
    if (safety.owned) throwIfCancelled();
    const serving = await waitUntilServing(
      spec,
      created,
      parseDuration(d.timeout)!,
      parseDuration(spec.supervision.minInterval)!,
      status,
    );
    phase('smoke-testing');
    // Answered through its inference URL already: that answer was the readiness check and the smoke test.
    if (!serving.smokeTested) await steps.smokeTest(d, created);
    if ('probe' in d && d.probe) {
      phase('probing');
      await probeBesideChampion(spec, d.probe, created.id, status);
    }
    return serving.summary;
  } catch (err) {
    if (!created) throw err;
    const id = created.id;
    // Remove the deployment that did not make it (also when cancelled); checkpoints stay untouched.
    const removal = await removeDeployment(d.target, id);
    if (isAbsent(removal)) {
      // Never silently left running: the failure, `status` and the notification name it.
      const removeByHand = `${d.target} ${id} is still deployed and must be removed by hand: ${absenceReason(removal)}`;
      moveTo(status, deploymentLeftRunning(status, summarize(d.target, created), removeByHand));
      if (isCancellation(err)) throw err;
      throw ApplicationFailure.nonRetryable(
        `deployment ${id} failed and could not be removed (${removeByHand}): ${describeFailure(err)}`,
        'DEPLOY_FAILED',
        { cause: describeFailure(err), removeByHand: id },
      );
    }
    // A cancelled run that does not own its resources leaves the status as it was.
    if (safety.owned || !isCancellation(err))
      moveTo(status, deploymentRemoved(status, summarize(d.target, created), safety.owned));
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(
      `deployment ${id} failed and was removed: ${describeFailure(err)}`,
      'DEPLOY_FAILED',
      {
        cause: describeFailure(err),
      },
    );
  }
}

/** Deletes a deployment this run made, even while the run is being cancelled; absent where the provider has no route. */
export function removeDeployment(
  target: DeploymentSummary['target'],
  id: string,
): Promise<DeleteOutcome | CapabilityAbsent> {
  return CancellationScope.nonCancellable(() => stepsOf(target).remove(id));
}
