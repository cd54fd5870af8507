import { createProviderClients, providerEndpointsFromEnv, type ProviderClients } from '../providers/config';
import { notifyActivities } from './notify';
import { registryActivities } from './registry';
import { marqtuneActivities, tensormeshActivities } from './serving';
import { tensoroneEndpointActivities, tensoroneJobActivities } from './tensorone';

/**
 * Every activity, bound to provider clients. Workflows import only the type:
 *   `proxyActivities<Activities>(…)` with `import type { Activities } from '../activities'`.
 */
export function createActivities(clients: ProviderClients, options: { webhookUrl?: string } = {}) {
  return {
    ...notifyActivities(options.webhookUrl),
    ...tensoroneJobActivities(clients.tensorone),
    ...tensoroneEndpointActivities(clients.tensorone),
    ...registryActivities(clients.tensorone),
    ...tensormeshActivities(clients.tensormesh),
    ...marqtuneActivities(clients.marqtune),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Activities against the providers named in the worker's environment (the sandbox by default). */
export function createActivitiesFromEnv(env: NodeJS.ProcessEnv = process.env): Activities {
  return createActivities(createProviderClients(providerEndpointsFromEnv(env)), {
    webhookUrl: env.NOTIFY_WEBHOOK_URL || undefined,
  });
}
