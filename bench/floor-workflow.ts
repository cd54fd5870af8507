import { patched, proxyActivities } from '@temporalio/workflow';

const { nothing } = proxyActivities<{ nothing(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

/**
 * `steps` activities that do nothing, one after another: the least a serial step costs on a server.
 * With `patchesPerStep`, each step first asks that many patches of its own (each a marker and a
 * `TemporalChangeVersion` upsert): what a patch costs.
 */
export async function serialSteps(steps: number, patchesPerStep = 0): Promise<void> {
  for (let i = 0; i < steps; i++) {
    for (let p = 0; p < patchesPerStep; p++) patched(`bench-step-${i}-patch-${p}`);
    await nothing();
  }
}
