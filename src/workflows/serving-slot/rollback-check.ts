import { isCancellation } from '@temporalio/workflow';
import type { FormerSmokeEvidence, FormerStatusEvidence, SlotDeployment } from '../../decisions/serving-slot';
import { absenceReason, isAbsent } from '../../domain/capability';
import type { Deployment } from '../../domain/types';
import { rollbackChecks as checks } from '../activity-stubs';
import { stepsOf } from '../pipeline/deploy-targets';
import { applicationCause, describeFailure } from '../failure-cause';
import { summarized } from '../summaries';

/**
 * What the provider shows of a former champion just before a rollback to it: a status read where a
 * route gives one, then its smoke request (the pipeline's own). Judged by `formerDeploymentRefusal`.
 */
export async function checkFormerDeployment(
  d: SlotDeployment,
): Promise<{ status: FormerStatusEvidence; smoke: FormerSmokeEvidence }> {
  const status = await readStatus(d);
  if (status.read === 'gone' || status.read === 'not-serving')
    return { status, smoke: { smoke: 'not-asked', why: 'not asked: the status says enough' } };
  return { status, smoke: await askSmoke(d) };
}

async function readStatus(d: SlotDeployment): Promise<FormerStatusEvidence> {
  const steps = stepsOf(d.target);
  try {
    const read = await steps.readHeld(checks, d.deploymentId);
    if (steps.readsThroughModel && d.modelId) {
      if (!isAbsent(read)) return judged(read);
      // The documented read: the deployments its registry model lists.
      const model = await summarized(
        checks.getRegisteredModel,
        `is ${d.deploymentId} still a deployment of model ${d.modelId}?`,
        d.modelId,
      );
      if (!model.deployments)
        return { read: 'unknown', why: `model ${d.modelId} lists no deployment statuses` };
      const found = model.deployments.find((x) => x.id === d.deploymentId);
      return found ? judged(found) : { read: 'gone', why: `model ${d.modelId} no longer lists it` };
    }
    return isAbsent(read)
      ? { read: 'unknown', why: `no status read (${absenceReason(read)})` }
      : judged(read);
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = applicationCause(err);
    const status = (cause?.details?.[0] as { status?: number } | undefined)?.status;
    // A 404 reaches here only from a documented route or one seen answering: the resource is gone.
    if (status === 404) return { read: 'gone', why: describeFailure(err) };
    return { read: 'unknown', why: `the status read failed (${describeFailure(err)})` };
  }
}

function judged(read: Deployment): FormerStatusEvidence {
  if (read.status === 'active') return { read: 'serving' };
  if (read.status === 'deleted') return { read: 'gone', why: `status ${read.rawStatus}` };
  return { read: 'not-serving', status: read.rawStatus };
}

async function askSmoke(d: SlotDeployment): Promise<FormerSmokeEvidence> {
  const smoke = d.smoke;
  if (!smoke) return { smoke: 'not-asked', why: 'no smoke request was recorded for it when it was promoted' };
  try {
    return await stepsOf(d.target).askHeld(checks, d.deploymentId, smoke);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { smoke: 'failed', why: describeFailure(err) };
  }
}
