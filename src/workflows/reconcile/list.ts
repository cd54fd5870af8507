import { isAbsent } from '../../domain/capability';
import type { OwnedResource } from '../../decisions/reconcile';
import { provider } from '../activity-stubs';

export interface RunOwnedResources {
  resources: OwnedResource[];
  notOurs: number;
  unseen: { what: string; route: string }[];
}

/**
 * Every run-owned resource the providers show: the documented TensorOne job list and registry, and the
 * assumed endpoint and served-model lists where the provider has them (absent: reported as unseen).
 * A listing that fails fails the run: nothing is decided on a partial answer.
 */
export async function listRunOwned(): Promise<RunOwnedResources> {
  const byId = new Map<string, OwnedResource>();
  const unseen: RunOwnedResources['unseen'] = [];
  let notOurs = 0;
  const keep = (listing: { resources: OwnedResource[]; notOurs: number }) => {
    notOurs += listing.notOurs;
    for (const r of listing.resources) byId.set(`${r.provider}:${r.id}`, r);
  };

  for (let offset = 0, more = true; more;) {
    const page = await provider.runOwnedJobsPage({ offset });
    keep(page);
    more = page.hasMore && page.nextOffset > offset;
    offset = page.nextOffset;
  }

  const endpoints = await provider.runOwnedEndpoints();
  if (isAbsent(endpoints)) unseen.push({ what: 'TensorOne checkpoint endpoints', route: endpoints.route });
  else keep(endpoints);

  // Registry deployments from the documented registry (also when the endpoint list shows them).
  for (let offset = 0, more = true; more;) {
    const page = await provider.registeredModelsWithDeployments({ offset });
    for (const modelId of page.modelIds) {
      const deployments = await provider.runOwnedModelDeployments(modelId);
      for (const r of deployments.resources) byId.set(`${r.provider}:${r.id}`, r);
      // The endpoint list, when there is one, counted these already.
      if (isAbsent(endpoints)) notOurs += deployments.notOurs;
    }
    more = page.hasMore && page.nextOffset > offset;
    offset = page.nextOffset;
  }

  const served = await provider.runOwnedServedModels();
  if (isAbsent(served)) unseen.push({ what: 'TensorMesh served models', route: served.route });
  else keep(served);

  return { resources: [...byId.values()], notOurs, unseen };
}
