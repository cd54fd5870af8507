import type { ProviderClients } from './config';
import { marqtune } from './marqtune';
import { bindProvider, offeredActivities, type ActivityTable, type BoundProvider } from './plugin';
import { tensormesh } from './tensormesh';
import { tensorone } from './tensorone';

/** The built-in providers' plug-ins, by name. */
export const PROVIDERS = { tensorone, tensormesh, marqtune } as const;

/** Every built-in plug-in bound to its client. */
export function builtInProviders(clients: ProviderClients) {
  return {
    tensorone: bindProvider(PROVIDERS.tensorone, clients.tensorone),
    tensormesh: bindProvider(PROVIDERS.tensormesh, clients.tensormesh),
    marqtune: bindProvider(PROVIDERS.marqtune, clients.marqtune),
  };
}

/**
 * The worker's activities with more plug-ins' added. Refuses, before the worker starts, a plug-in
 * whose activity name is taken (activities are registered and recorded by name alone) or whose offer
 * names an activity it does not have.
 */
export function withProviders<Base extends ActivityTable>(
  base: Base,
  providers: readonly BoundProvider[],
): Base & ActivityTable {
  const all: ActivityTable = { ...base };
  for (const { plugin, activities } of providers) {
    for (const name of Object.keys(activities)) {
      if (name in all)
        throw new Error(`provider ${plugin.name}: activity ${name} is already registered by another`);
      all[name] = activities[name]!;
    }
    const missing = offeredActivities(plugin).filter((name) => !(name in activities));
    if (missing.length)
      throw new Error(`provider ${plugin.name}: its offers name activities it lacks: ${missing.join(', ')}`);
  }
  return all as Base & ActivityTable;
}

/** The plug-in that serves a deploy target, and the activities a deploy to it goes through. */
export function servingTargetOf(target: string, providers: readonly BoundProvider[]) {
  for (const { plugin } of providers) {
    const steps = plugin.serve?.find((s) => s.target === target);
    if (steps) return { provider: plugin.name, steps };
  }
  return undefined;
}
