/**
 * What the operator does during a chaos run, as a person at the starter CLI would: pin a checkpoint
 * while a job trains, approve a pipeline that waits at its gate, and cancel pipelines at the moment a
 * create is being answered (the sandbox holds that answer with `slowCreates`).
 */
import type { Client } from '@temporalio/client';
import type { Sandbox } from '../sandbox/server';
import type { SimEndpoint, SimJob } from '../sandbox/state';
import { approveSignal, cancelSignal, statusQuery } from '../src/workflows/pipeline/contract';
import type { ChaosPipeline } from './plan';

export interface OperatorDeps {
  startPipeline(p: ChaosPipeline): Promise<void>;
  /** The starter CLI; resolves with its exit code. */
  cli(args: string[]): Promise<number>;
  /** The current client (it is replaced when the server restarts). */
  client(): Client;
  sandbox: Sandbox;
  /** How long an aimed-at create's answer is held; the cancel must land within it. */
  heldCreateMs: number;
  /** How long an approval waits, so that a cleanup Schedule run passes while the candidate is gated. */
  approveAfterMs: number;
  say(line: string): void;
}

export interface OperatorRecord {
  pins: { workflowId: string; checkpointId: string; at: number }[];
  approvals: string[];
  cancels: { workflowId: string; during: 'job-create' | 'endpoint-create'; landedInCreate: boolean }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` gives a value, or gives undefined after `ms` (the run's checks then show it). */
async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms: number,
): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(250);
  }
  return undefined;
}

export function operatorActions(deps: OperatorDeps) {
  const { sandbox } = deps;
  const record: OperatorRecord = { pins: [], approvals: [], cancels: [] };
  const jobOf = (p: ChaosPipeline): SimJob | undefined =>
    [...sandbox.state.jobs.values()].find((j) => j.name.startsWith(`${p.workflowId}--`));
  const endpointOf = (p: ChaosPipeline): SimEndpoint | undefined =>
    [...sandbox.state.endpoints.values()].find((e) => e.name.startsWith(`${p.workflowId}--`));
  const phaseOf = (p: ChaosPipeline) =>
    deps
      .client()
      .workflow.getHandle(p.workflowId)
      .query(statusQuery)
      .then((s) => s.phase)
      .catch(() => undefined); // the worker or the server may be down for a moment
  const awaitingApproval = (p: ChaosPipeline) =>
    // As long as the run waits for a pipeline (15 min): on two busy cores a gated job can take 5 minutes
    // to reach its gate, and an approval never sent leaves it waiting out its 30-minute window.
    waitFor(async () => ((await phaseOf(p)) === 'awaiting-approval' ? true : undefined), 14 * 60_000);
  /** Signals through the current client, again after a server restart. */
  const signal = async (p: ChaosPipeline, send: (c: Client) => Promise<void>) => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      try {
        return await send(deps.client());
      } catch {
        await sleep(1000);
      }
    }
  };

  // One held create at a time: the sandbox has one `slowCreates` setting.
  let held: Promise<unknown> = Promise.resolve();
  const oneHeldCreateAtATime = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = held.then(fn, fn);
    held = next.catch(() => undefined);
    return next;
  };
  /** Holds the next creates on this route (a few: another pipeline's create may take one first). */
  const holdCreates = (routePattern: string) => {
    sandbox.state.faults.slowCreates = {
      routePattern,
      actAfterMs: 0,
      answerAfterMs: deps.heldCreateMs,
      count: 3,
    };
  };
  const releaseCreates = () => {
    sandbox.state.faults.slowCreates = undefined;
  };

  return {
    record,

    /** Starts the pipeline with its job create held, and `starter cancel`s it as soon as the job exists. */
    cancelDuringJobCreate: (p: ChaosPipeline) =>
      oneHeldCreateAtATime(async () => {
        holdCreates('^/tensorone/v2/training/jobs$');
        try {
          await deps.startPipeline(p);
          // A create may wait behind a killed worker's timeouts and the fleet budget's reservation first.
          const job = await waitFor(() => jobOf(p), 4 * 60_000);
          if (!job)
            return deps.say(`no cancel for ${p.workflowId}: its job was not created within 4 minutes`);
          // Aimed while the create is held: an Update is accepted once a worker runs its validator, so
          // with the worker just killed it may be accepted later; the cancel was still sent mid-create.
          const sentAt = Date.now();
          await deps.cli(['cancel', p.workflowId, '--reason', 'chaos: cancel during the job create']);
          const landedInCreate = sentAt < job.createdAtMs + deps.heldCreateMs;
          deps.say(
            `cancelled ${p.workflowId}: sent ${sentAt - job.createdAtMs} ms into its job create, answered after ${Date.now() - sentAt} ms`,
          );
          record.cancels.push({ workflowId: p.workflowId, during: 'job-create', landedInCreate });
        } finally {
          releaseCreates();
        }
      }),

    /** Approves the gated pipeline with its endpoint create held, and cancels once the endpoint exists. */
    cancelDuringEndpointCreate: async (p: ChaosPipeline) => {
      if (!(await awaitingApproval(p)))
        return deps.say(`no cancel for ${p.workflowId}: it never reached its approval gate`);
      await oneHeldCreateAtATime(async () => {
        holdCreates('^/tensorone/v2/endpoints$');
        try {
          await signal(p, (c) => c.workflow.getHandle(p.workflowId).signal(approveSignal, { by: 'chaos' }));
          const endpoint = await waitFor(() => endpointOf(p), 4 * 60_000);
          if (!endpoint)
            return deps.say(`no cancel for ${p.workflowId}: its endpoint was not created within 4 minutes`);
          await signal(p, (c) =>
            c.workflow
              .getHandle(p.workflowId)
              .signal(cancelSignal, { reason: 'chaos: cancel during the endpoint create' }),
          );
          const landedInCreate = Date.now() < endpoint.createdAtMs + deps.heldCreateMs;
          deps.say(
            `cancelled ${p.workflowId} ${Date.now() - endpoint.createdAtMs} ms into its endpoint create`,
          );
          record.cancels.push({ workflowId: p.workflowId, during: 'endpoint-create', landedInCreate });
        } finally {
          releaseCreates();
        }
      });
    },

    /** Leaves the pipeline at its gate while the cleanup Schedule fires, then `starter approve`s it. */
    approveLater: async (p: ChaosPipeline) => {
      if (!(await awaitingApproval(p))) return;
      await sleep(deps.approveAfterMs);
      if ((await deps.cli(['approve', p.workflowId, '--by', 'chaos-operator'])) === 0) {
        record.approvals.push(p.workflowId);
        deps.say(`approved ${p.workflowId}`);
      }
    },

    /** `starter pin`s the job's first automatic checkpoint, which retention (keep 1) would delete. */
    pinFirstCheckpoint: async (p: ChaosPipeline) => {
      const first = await waitFor(() => {
        const job = jobOf(p);
        return job && sandbox.state.jobCheckpoints(job.id).find((c) => c.type === 'automatic');
      }, 5 * 60_000);
      if (!first) return;
      if ((await deps.cli(['pin', p.workflowId, first.id])) === 0) {
        record.pins.push({ workflowId: p.workflowId, checkpointId: first.id, at: Date.now() });
        deps.say(`pinned ${first.id} of ${p.workflowId}`);
      }
    },
  };
}
