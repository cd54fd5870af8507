/** What the chaos run does to whom: which pipelines, how they start and where the kills aim. */

export type KillTarget = 'create' | 'deploy' | 'cleanup' | 'random';

export interface ChaosPipeline {
  name: string;
  workflowId: string;
  /** Started by the starter CLI (`run --no-follow`) or by a client in the chaos process. */
  via: 'client' | 'cli';
  deploy: 'tensorone-endpoint' | 'tensormesh';
  /** The job fails once at an epoch with a resumable reason and must be resumed. */
  failsOnce: boolean;
}

/** Every fourth pipeline fails once, every fourth deploys on TensorMesh, every fourth starts by CLI. */
export function chaosPlan(count: number): ChaosPipeline[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = i % 4;
    const name = kind === 1 ? `chaos-resume-${i}` : `chaos-${i}`;
    return {
      name,
      workflowId: `pipeline-${name}`,
      via: kind === 3 ? 'cli' : 'client',
      deploy: kind === 2 ? 'tensormesh' : 'tensorone-endpoint',
      failsOnce: kind === 1,
    };
  });
}

interface SandboxRequest {
  method: string;
  path: string;
  status: number | 'reset';
}

/** The provider requests an aimed kill waits for: a create that succeeded, a deploy, a deletion. */
export const killTargets: Record<KillTarget, ((r: SandboxRequest) => boolean) | undefined> = {
  create: (r) => r.method === 'POST' && r.path === '/tensorone/v2/training/jobs' && succeeded(r),
  deploy: (r) =>
    r.method === 'POST' &&
    (r.path === '/tensorone/v2/endpoints' || r.path === '/tensormesh/v1/models') &&
    succeeded(r),
  cleanup: (r) =>
    r.method === 'DELETE' && r.path.startsWith('/tensorone/v2/training/checkpoints/') && succeeded(r),
  random: undefined,
};

function succeeded(r: SandboxRequest): boolean {
  return typeof r.status === 'number' && r.status < 300;
}
