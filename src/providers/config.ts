import { createMarqtuneClient, type MarqtuneClient } from './marqtune/client';
import { createTensorMeshClient, type TensorMeshClient } from './tensormesh/client';
import { createTensorOneClient, type TensorOneClient } from './tensorone/client';

export interface ProviderClients {
  tensorone: TensorOneClient;
  tensormesh: TensorMeshClient;
  marqtune: MarqtuneClient;
}

/** The sandbox's default address and keys: a real provider is a base URL and key in the environment away. */
export const SANDBOX_DEFAULTS = {
  url: 'http://127.0.0.1:8787',
  tensoroneKey: 'sandbox-tensorone-key',
  tensormeshKey: 'sandbox-tensormesh-key',
  marqtuneKey: 'sandbox-marqtune-key',
} as const;

interface ProviderEndpoints {
  tensorone: { baseURL: string; apiKey: string };
  tensormesh: { baseURL: string; apiKey: string; hfToken?: string };
  marqtune: { baseURL: string; apiKey: string };
}

/** Reads provider endpoints and keys from the worker's environment; every provider defaults to the sandbox. */
export function providerEndpointsFromEnv(env: NodeJS.ProcessEnv = process.env): ProviderEndpoints {
  const sandbox = env.SANDBOX_URL || SANDBOX_DEFAULTS.url;
  return {
    tensorone: {
      baseURL: env.TENSORONE_BASE_URL || `${sandbox}/tensorone`,
      apiKey: env.TENSORONE_API_KEY || SANDBOX_DEFAULTS.tensoroneKey,
    },
    tensormesh: {
      baseURL: env.TENSORMESH_BASE_URL || `${sandbox}/tensormesh`,
      apiKey: env.TENSORMESH_API_KEY || SANDBOX_DEFAULTS.tensormeshKey,
      hfToken: env.TENSORMESH_HF_TOKEN || undefined,
    },
    marqtune: {
      baseURL: env.MARQTUNE_BASE_URL || `${sandbox}/marqtune`,
      apiKey: env.MARQTUNE_API_KEY || SANDBOX_DEFAULTS.marqtuneKey,
    },
  };
}

export function createProviderClients(endpoints: ProviderEndpoints): ProviderClients {
  return {
    tensorone: createTensorOneClient(endpoints.tensorone),
    tensormesh: createTensorMeshClient(endpoints.tensormesh),
    marqtune: createMarqtuneClient(endpoints.marqtune),
  };
}
