import { createProviderClients, type ProviderClients } from '../../src/providers/config';
import { startSandbox, type Sandbox, type SandboxConfig } from '../../sandbox/server';
import type { FaultConfig } from '../../sandbox/faults';

/** A sandbox on a free port with a fast clock, and provider clients pointed at it. */
export async function startTestSandbox(
  config: SandboxConfig = {},
): Promise<{ sandbox: Sandbox; clients: ProviderClients }> {
  const sandbox = await startSandbox({ epochMs: 40, queueMs: 10, deployMs: 40, seed: 7, ...config });
  return { sandbox, clients: createProviderClients(sandbox.endpoints) };
}

/** Test-side polling for sandbox state (never used in product code, where waiting is Temporal's job). */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `fn` with `faults` laid over the sandbox's, and puts the sandbox's own back after, whatever happens. */
export async function withFaults<T>(
  sandbox: Sandbox,
  faults: Partial<FaultConfig>,
  fn: () => Promise<T>,
): Promise<T> {
  const before = sandbox.state.faults;
  sandbox.state.faults = { ...before, ...faults };
  try {
    return await fn();
  } finally {
    sandbox.state.faults = before;
  }
}

/**
 * `fn` against a provider that deploys at once: every deployment made meanwhile is ready when created,
 * so its create answer already says it serves (or failed, with `failDeployments`).
 */
export async function deployingAtOnce<T>(sandbox: Sandbox, fn: () => Promise<T>): Promise<T> {
  const { options } = sandbox.state;
  const deployMs = options.deployMs;
  options.deployMs = 0;
  try {
    return await fn();
  } finally {
    options.deployMs = deployMs;
  }
}
