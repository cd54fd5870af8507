import type { ProviderClients } from '../providers/config';
import type { ProviderRateLimits } from './limits';
import { providerReads, type ProviderReads } from './reads';

/**
 * How a worker process holds its provider calls to the configured rate limits, decided once when it
 * starts: the limits its workflows are told (`providerRateLimits`) and the reads its watches and a
 * cleanup's protected set make. Limits are set only where the process runs the provider queues
 * (src/provider-rate/workers.ts); with none, every read goes straight to the provider.
 */
export interface ProviderRate {
  limits: ProviderRateLimits;
  reads: ProviderReads;
}

export function providerRate(clients: ProviderClients, limits: ProviderRateLimits = {}): ProviderRate {
  return { limits, reads: providerReads(clients, limits) };
}
