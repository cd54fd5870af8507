import { proxyActivities } from '@temporalio/workflow';

const { nothing } = proxyActivities<{ nothing(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

/** `steps` activities that do nothing, one after another: the least a serial step costs on a server. */
export async function serialSteps(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await nothing();
}
