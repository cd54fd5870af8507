import { ActivityFailure, ApplicationFailure, sleep, TimeoutFailure } from '@temporalio/workflow';
import { deployPollInterval, nextDeployLookIn } from '../../decisions/deploy';
import { isAbsent } from '../../domain/capability';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import { provider, untilServing } from '../activity-stubs';
import type { DeploymentSummary, PipelineStatus } from './contract';
import { describeFailure } from '../failure-cause';
import { deployTargetOf } from './deploy-targets';
import { believesActiveCreateAnswer } from './patches';
import { moveTo, summarize } from './status';
import { deployed, serving } from '../../decisions/pipeline-status';

/**
 * Waits until the deployment serves: durable-timer polling of its status until it is active, fails, or
 * the deploy timeout passes. Without a status route (documented profile) it takes the documented path:
 * a registry deployment's status from its model's `deployments`; an endpoint or served model through
 * its own inference URL, asked by Temporal's retries until it answers (that answer is the smoke test).
 */
export async function waitUntilServing(
  spec: PipelineSpec,
  created: Deployment,
  timeoutMs: number,
  minIntervalMs: number,
  status: PipelineStatus,
): Promise<{ summary: DeploymentSummary; smokeTested: boolean }> {
  const d = spec.deploy;
  const target = d.target;
  const { steps } = deployTargetOf(spec);
  const id = created.id;
  const deadline = Date.now() + timeoutMs;
  const pollMs = deployPollInterval(timeoutMs, minIntervalMs);
  // Already serving by the provider's own answer: the smoke test that follows checks it.
  if (created.status === 'active' && believesActiveCreateAnswer())
    return { summary: status.deployment!, smokeTested: false };
  let readFromModel = false;
  for (;;) {
    const read = readFromModel
      ? await provider.getModelDeployment({ modelId: created.modelId!, deploymentId: id })
      : await steps.read(id);
    if (isAbsent(read)) {
      if (steps.readsThroughModel && created.modelId) {
        readFromModel = true;
        continue;
      }
      return {
        summary: await answeredThroughInference(spec, created, deadline, pollMs, status),
        smokeTested: true,
      };
    }
    const current = read;
    moveTo(status, deployed(status, summarize(target, current), true));
    if (current.status === 'active') return { summary: status.deployment!, smokeTested: false };
    if (current.status === 'failed' || current.status === 'deleted') {
      const event = current.events.at(-1)?.log;
      throw ApplicationFailure.nonRetryable(
        `deployment ${id} is ${current.rawStatus}${event ? `: ${event}` : ''}`,
        'DEPLOYMENT_FAILED',
      );
    }
    if (Date.now() >= deadline)
      throw ApplicationFailure.nonRetryable(
        `deployment ${id} not serving after ${timeoutMs / 60_000} min`,
        'DEPLOY_TIMEOUT',
      );
    const wait = nextDeployLookIn(pollMs, deadline - Date.now());
    await sleep(wait, {
      summary: `${id} is ${current.rawStatus}: ask again in ${Math.round(wait / 1000)} s`,
    });
  }
}

/**
 * Readiness without a status route: the create answer's status and events first (TensorMesh documents
 * them), then one inference through the deployment's own URL, retried by the server while it answers
 * "not serving yet", until the deploy timeout.
 */
async function answeredThroughInference(
  spec: PipelineSpec,
  created: Deployment,
  deadline: number,
  pollMs: number,
  status: PipelineStatus,
): Promise<DeploymentSummary> {
  const d = spec.deploy;
  if (created.status === 'failed' || created.status === 'deleted') {
    const event = created.events.at(-1)?.log;
    throw ApplicationFailure.nonRetryable(
      `deployment ${created.id} is ${created.rawStatus}${event ? `: ${event}` : ''}`,
      'DEPLOYMENT_FAILED',
    );
  }
  const probe = untilServing(Math.max(1000, deadline - Date.now()), pollMs);
  try {
    await deployTargetOf(spec).steps.smokeTestUntilServing(probe, d, created);
  } catch (err) {
    // The deploy timeout passed while it still answered "not serving yet" (the last answer is the cause).
    const timedOut =
      err instanceof ActivityFailure && (err.cause instanceof TimeoutFailure || err.retryState === 'TIMEOUT');
    if (timedOut) {
      throw ApplicationFailure.nonRetryable(
        `deployment ${created.id} not serving after ${d.timeout}: ${describeFailure(err)}`,
        'DEPLOY_TIMEOUT',
      );
    }
    throw err;
  }
  moveTo(status, serving(status));
  return status.deployment!;
}
