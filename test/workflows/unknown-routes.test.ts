import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadPipelineFile } from '../../src/cli/pipeline-file';
import { pipelineWorkflowId } from '../../src/domain/pipeline-input';
import { fineTuneToDeploy } from '../../src/workflows';
import { cancelUpdate, statusQuery } from '../../src/workflows/pipeline/contract';
import { startTimeSkippingEnv } from '../harness/temporal';
import { advanceUntil, startWorkflowTestBed, type WorkflowTestBed } from '../harness/workflow-env';

const example = (file: string) => loadPipelineFile(path.join(__dirname, '../../examples', file));

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkippingEnv();
});
afterAll(() => env?.teardown());

// A provider that serves only the documented routes and answers any other with a web framework's
// default 404, which names the method and path — and so the id asked for:
// `404 {"error":"NOT_FOUND","message":"No route GET /v2/endpoints/ep_2"}`. That 404 is not "gone".
describe.each(['framework-not-found', 'empty-not-found'] as const)(
  'a provider answering unknown routes %s',
  (unknownRoute) => {
    let bed: WorkflowTestBed;
    beforeAll(async () => {
      // The examples' durations are compressed to a clock of seconds: the sandbox runs on the same scale.
      bed = await startWorkflowTestBed(
        { profile: 'documented', unknownRoute, epochMs: 2000, queueMs: 500, deployMs: 3000 },
        { shared: env },
      );
    });
    afterAll(() => bed?.teardown());

    const deploys = (file: string) =>
      bed.withWorker(async () => {
        const spec = example(file);
        const name = `${spec.name}-${unknownRoute}`;
        const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
          args: [{ ...spec, name }],
          taskQueue: bed.taskQueue,
          workflowId: pipelineWorkflowId(name),
        });
        const result = await handle.result();
        return { name, result, status: await handle.query(statusQuery) };
      });
    const named = <T extends { name: string }>(all: Iterable<T>, name: string) =>
      [...all].filter((d) => d.name.startsWith(`pipeline-${name}--`));

    it.each(['pipeline.yaml', 'pipeline-registry.yaml'])(
      '%s deploys, and the healthy endpoint is kept',
      async (file) => {
        const { name, result } = await deploys(file);
        expect(result.outcome).toBe('deployed');
        expect(result.deployment).toMatchObject({ status: 'active' });
        const serving = named(bed.sandbox.state.endpoints.values(), name);
        expect(serving.map((e) => e.id)).toEqual([result.deployment!.id]);
      },
    );

    it('pipeline-tensormesh.yaml deploys, and the healthy served model is kept', async () => {
      const { name, result } = await deploys('pipeline-tensormesh.yaml');
      expect(result.outcome).toBe('deployed');
      const served = [...bed.sandbox.state.meshModels.values()].filter((m) =>
        m.modelName.startsWith(`pipeline-${name}--`),
      );
      expect(served.map((m) => m.modelId)).toEqual([result.deployment!.id]);
    });

    it('a served model that does not speak the assumed request: the failure says it is an assumption and names the setting', async () => {
      const spec = example('pipeline-tensormesh.yaml');
      const name = `${spec.name}-chat-${unknownRoute}`;
      const deploy = {
        ...spec.deploy,
        smokeRequest: { path: '/v1/chat/completions', body: { prompt: '{prompt}' } },
      };
      const err = await bed.withWorker(async () => {
        const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
          args: [{ ...spec, name, deploy } as typeof spec],
          taskQueue: bed.taskQueue,
          workflowId: pipelineWorkflowId(name),
        });
        return handle.result().then(
          () => undefined,
          (e: unknown) => e as WorkflowFailedError,
        );
      });
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = err!.cause as ApplicationFailure;
      expect(cause.type).toBe('DEPLOY_FAILED');
      expect(cause.message).toMatch(/POST \{endpoint\}\/v1\/chat\/completions\) is an assumption/);
      expect(cause.message).toMatch(/set deploy\.smokeRequest \(path, body, answerField\)/);
    });

    it('a cancel while a TensorMesh model is deployed answers what the status then says: left running, named for removal by hand', async () => {
      const spec = example('pipeline-tensormesh.yaml');
      const name = `${spec.name}-cancel-${unknownRoute}`;
      const { answer, status } = await bed.withWorker(async () => {
        const handle = await bed.env.client.workflow.start(fineTuneToDeploy, {
          args: [{ ...spec, name }],
          taskQueue: bed.taskQueue,
          workflowId: pipelineWorkflowId(name),
        });
        await advanceUntil(
          bed.env,
          async () => (await handle.query(statusQuery)).phase === 'deploying',
          1000,
        );
        const answer = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
        await handle.result().catch(() => undefined);
        return { answer, status: await handle.query(statusQuery) };
      });
      expect(status.phase).toBe('cancelled');
      // No delete route: the deployment is left running and named, and the answer said that could happen.
      expect(status.deployment).toMatchObject({ status: 'left-running' });
      expect(status.deployment?.removeByHand).toContain(status.deployment!.id);
      expect(answer.effects[0]).toMatch(
        /is removed where the provider offers .*otherwise it is left running .* removal by hand/,
      );
    });

    it('asked the assumed read routes and never took their 404 for "gone"', () => {
      expect(bed.sandbox.state.undocumentedRequests).toMatchObject({
        'GET /tensorone/v2/endpoints/:endpointId': expect.any(Number),
        'GET /tensormesh/v1/models/:modelId': expect.any(Number),
      });
    });
  },
);
