/** What the chaos run does to whom: which pipelines, how they start and where the kills aim. */

export type KillTarget = 'create' | 'deploy' | 'promote' | 'retire' | 'cleanup' | 'rung' | 'random';

export interface ChaosPipeline {
  name: string;
  workflowId: string;
  /** Started by the starter CLI (`run --no-follow`) or by a client in the chaos process. */
  via: 'client' | 'cli';
  deploy: 'tensorone-endpoint' | 'tensormesh';
  /** The job fails once at an epoch with a resumable reason and must be resumed. */
  failsOnce: boolean;
  /** The operator cancels it while this create is being answered (held by `slowCreates`). */
  cancelDuring?: 'job-create' | 'endpoint-create';
  /** Waits at an approval gate (a cleanup Schedule run passes meanwhile) until `starter approve`. */
  approval: boolean;
  /** The operator pins its first epoch's checkpoint while it trains (`starter pin`). */
  pin: boolean;
  /** Its job answers `completed` once mid-training (`spuriousStatus`); it must still train on. */
  spuriousStatus: boolean;
  /**
   * A retrain: started once the run with this workflow id has ended, under the same pipeline name, so
   * its deployment is promoted over that run's, which drains briefly and is retired.
   */
  after?: string;
  /** A hyperparameter sweep: its trials train as children (each its own job) and the winner deploys once. */
  sweep?: boolean;
}

/** What the operator means to happen: a cancelled pipeline ends "cancelled", every other "deployed". */
export function expectedOutcome(p: ChaosPipeline): 'deployed' | 'cancelled' {
  return p.cancelDuring ? 'cancelled' : 'deployed';
}

/**
 * Every fourth pipeline fails once, every fourth deploys on TensorMesh, every fourth starts by CLI;
 * every fourth (the first of each four) gets a pin, the fourth of every eight waits for approval, the
 * first has the spurious terminal status. Then `cancels` more, cancelled in turn during their job's
 * create and during their endpoint's create (the latter after an approval gate, so the moment is known),
 * and `sweeps` hyperparameter sweeps.
 */
export function chaosPlan(count: number, cancels = 0, sweeps = 0): ChaosPipeline[] {
  const cancelled = Array.from({ length: cancels }, (_, i): ChaosPipeline => {
    const during = i % 2 === 0 ? 'job-create' : 'endpoint-create';
    const name = `chaos-cancel-${during === 'job-create' ? 'job' : 'endpoint'}-${i}`;
    return {
      name,
      workflowId: `pipeline-${name}`,
      via: 'client',
      deploy: 'tensorone-endpoint',
      failsOnce: false,
      cancelDuring: during,
      approval: during === 'endpoint-create',
      pin: false,
      spuriousStatus: false,
    };
  });
  const swept = Array.from({ length: sweeps }, (_, i): ChaosPipeline => ({
    name: `chaos-sweep-${i}`,
    workflowId: `pipeline-chaos-sweep-${i}`,
    via: 'client',
    deploy: 'tensorone-endpoint',
    failsOnce: false,
    approval: false,
    pin: false,
    spuriousStatus: false,
    sweep: true,
  }));
  return [...regular(count), ...retrained(), ...cancelled, ...swept];
}

/** One name run twice: the second run's promotion and the first deployment's retirement are aimed at. */
function retrained(): ChaosPipeline[] {
  const run = (n: number): ChaosPipeline => ({
    name: 'chaos-retrain',
    workflowId: `pipeline-chaos-retrain-${n}`,
    via: 'client',
    deploy: 'tensorone-endpoint',
    failsOnce: false,
    approval: false,
    pin: false,
    spuriousStatus: false,
    ...(n === 2 ? { after: 'pipeline-chaos-retrain-1' } : {}),
  });
  return [run(1), run(2)];
}

function regular(count: number): ChaosPipeline[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = i % 4;
    const name = kind === 1 ? `chaos-resume-${i}` : `chaos-${i}`;
    return {
      name,
      workflowId: `pipeline-${name}`,
      via: kind === 3 ? 'cli' : 'client',
      deploy: kind === 2 ? 'tensormesh' : 'tensorone-endpoint',
      failsOnce: kind === 1,
      approval: i % 8 === 3,
      pin: kind === 0,
      spuriousStatus: i === 0,
    };
  });
}

interface SandboxRequest {
  method: string;
  path: string;
  status: number | 'reset';
}

/** The provider requests an aimed kill waits for: a create that succeeded, a deploy, its verification, a deletion. */
export const killTargets: Record<KillTarget, ((r: SandboxRequest) => boolean) | undefined> = {
  create: (r) => r.method === 'POST' && r.path === '/tensorone/v2/training/jobs' && succeeded(r),
  deploy: (r) =>
    r.method === 'POST' &&
    (r.path === '/tensorone/v2/endpoints' || r.path === '/tensormesh/v1/models') &&
    succeeded(r),
  // The answer that verifies a deployment (smoke test, or readiness through inference): the promotion
  // into the pipeline's serving slot follows at once, so the kill lands around it.
  promote: (r) =>
    r.method === 'POST' &&
    (/^\/tensorone\/v2\/[^/]+\/runsync$/.test(r.path) || r.path.endsWith('/v1/completions')) &&
    succeeded(r),
  // The deletion of a retired deployment (extended profile: the documents promise no delete route).
  retire: (r) => r.method === 'DELETE' && r.path.startsWith('/tensorone/v2/endpoints/') && succeeded(r),
  cleanup: (r) =>
    r.method === 'DELETE' && r.path.startsWith('/tensorone/v2/training/checkpoints/') && succeeded(r),
  // A sweep's rung decision acted on: a trial's job stopped (paused or halved) or resumed.
  rung: (r) =>
    r.method === 'POST' &&
    /^\/tensorone\/v2\/training\/jobs\/[^/]+\/(stop|resume)$/.test(r.path) &&
    succeeded(r),
  random: undefined,
};

function succeeded(r: SandboxRequest): boolean {
  return typeof r.status === 'number' && r.status < 300;
}
