import { ActivityFailure, ApplicationFailure, sleep, TimeoutFailure } from '@temporalio/workflow';
import { deployPollInterval, nextDeployLookIn, smokeTestPassed } from '../../decisions/deploy';
import { isAbsent } from '../../domain/capability';
import type { PipelineSpec } from '../../domain/pipeline-input';
import type { Deployment } from '../../domain/types';
import { provider, untilServing } from '../activity-stubs';
import type { DeploymentSummary, PipelineStatus } from './contract';
import { describeFailure } from '../failure-cause';
import { summarized } from '../summaries';
import { summarize } from './status';

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
  const id = created.id;
  const deadline = Date.now() + timeoutMs;
  const pollMs = deployPollInterval(timeoutMs, minIntervalMs);
  let readFromModel = false;
  for (;;) {
    const read = readFromModel
      ? await provider.getModelDeployment({ modelId: created.modelId!, deploymentId: id })
      : target === 'tensormesh'
        ? await provider.getServedModel(id)
        : await summarized(provider.getEndpoint, `is endpoint ${id} serving?`, id);
    if (isAbsent(read)) {
      if (target === 'tensorone-registry' && created.modelId) {
        readFromModel = true;
        continue;
      }
      return {
        summary: await answeredThroughInference(d, created, deadline, pollMs, status),
        smokeTested: true,
      };
    }
    const current = read;
    status.deployment = { ...status.deployment, ...summarize(target, current) };
    if (current.status === 'active') return { summary: status.deployment, smokeTested: false };
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
  d: PipelineSpec['deploy'],
  created: Deployment,
  deadline: number,
  pollMs: number,
  status: PipelineStatus,
): Promise<DeploymentSummary> {
  if (created.status === 'failed' || created.status === 'deleted') {
    const event = created.events.at(-1)?.log;
    throw ApplicationFailure.nonRetryable(
      `deployment ${created.id} is ${created.rawStatus}${event ? `: ${event}` : ''}`,
      'DEPLOYMENT_FAILED',
    );
  }
  const probe = untilServing(Math.max(1000, deadline - Date.now()), pollMs);
  try {
    if (d.target === 'tensormesh') {
      await probe.smokeTestServedModel({
        modelId: created.id,
        prompt: d.smokePrompt,
        endpoint: created.url,
        modelName: created.name,
        ...(d.smokeRequest ? { request: d.smokeRequest } : {}),
        untilServing: true,
      });
    } else {
      const res = await probe.smokeTestEndpoint({
        endpointId: created.id,
        sampleInput: d.smokeTest.input,
        untilServing: true,
      });
      if (!smokeTestPassed(res.status)) {
        throw ApplicationFailure.nonRetryable(
          `smoke test of ${created.id} returned status ${res.status}`,
          'SMOKE_TEST_FAILED',
        );
      }
    }
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
  status.deployment = { ...status.deployment!, status: 'active' };
  return status.deployment;
}
