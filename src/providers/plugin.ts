/**
 * A provider as a plug-in: its client's activities and what it offers a pipeline (training, serving,
 * a model registry), each offer naming the activities it goes through. The worker registers every
 * plug-in's activities (src/providers/index.ts); the workflows call them by those names.
 * docs/adding-a-provider.md walks through adding one.
 */
import type { CreateOutcome } from '../activities/context';
import type { DeleteOutcome } from '../activities/failures';
import type { CapabilityAbsent } from '../domain/capability';
import type { DeploymentStatus } from '../domain/types';

/** Activities by name, as a worker registers them: each takes and returns plain data. */
export type ActivityTable = Record<string, (...args: never[]) => Promise<unknown>>;

/** The name of one of the plug-in's activities. */
type ActivityOf<A extends ActivityTable> = keyof A & string;

/** Training: a pipeline's `train.kind`, and the activities that start and read its jobs. */
export interface TrainingProvider<A extends ActivityTable> {
  /** The pipeline file's `train.kind` this provider answers. */
  kinds: readonly string[];
  /** Starts a job (absent where the pipeline adopts one trained elsewhere). */
  start?: ActivityOf<A>;
  /** Reads one job: its status, progress and checkpoints. */
  read: ActivityOf<A>;
  /** Lists jobs (what the reconciler and the supervisor page through). */
  list: ActivityOf<A>;
  /** Stops a job (absent where the provider has no such route). */
  stop?: ActivityOf<A>;
}

/** What a deploy needs to know of a deployment, whatever the provider. */
export interface ServedDeployment {
  id: string;
  status: DeploymentStatus;
  /** The provider's own word for the status, for people. */
  rawStatus: string;
  url?: string;
  name?: string;
}

/** The names of the plug-in's activities of one shape. */
type ActivityLike<A extends ActivityTable, F> = {
  [K in ActivityOf<A>]: A[K] extends F ? K : never;
}[ActivityOf<A>];

/** Serving: a deploy target (`deploy.target` in the pipeline file) and the four steps of a deploy. */
export interface ServingTarget<A extends ActivityTable> {
  target: string;
  /** Creates the deployment, or adopts the one an earlier attempt of the same step created. */
  create: ActivityLike<A, (input: never) => Promise<ServedDeployment & CreateOutcome>>;
  /** Reads its status once; answers `CapabilityAbsent` where the provider has no status route. */
  read: ActivityLike<A, (id: string) => Promise<ServedDeployment | CapabilityAbsent>>;
  /** One request through the deployment; with `untilServing`, "not serving yet" is retried. */
  smokeTest: ActivityOf<A>;
  /** Deletes it idempotently (already gone counts as deleted); absent where there is no delete route. */
  remove: ActivityLike<A, (id: string) => Promise<DeleteOutcome | CapabilityAbsent>>;
}

/** A model registry: registered models a pipeline versions and deploys. */
export interface Registry<A extends ActivityTable> {
  list: ActivityOf<A>;
  get: ActivityOf<A>;
  createVersion: ActivityOf<A>;
  archive: ActivityOf<A>;
}

/** What a provider offers a pipeline, each offer by the activities it goes through. */
export interface ProviderOffers<A extends ActivityTable> {
  train?: TrainingProvider<A>;
  serve?: readonly ServingTarget<A>[];
  registry?: Registry<A>;
}

export interface ProviderPlugin<Client, A extends ActivityTable> extends ProviderOffers<A> {
  /** The provider's name, as failures, metrics and its task queue (`<queue>--<name>`) say it. */
  name: string;
  /** Its activities, bound to its client: one activity per API call (or a few pages). */
  activities(client: Client): A;
}

/** Any plug-in, its offers as plain activity names: what the worker's registration reads. */
export interface AnyProviderPlugin {
  name: string;
  train?: { [K in keyof TrainingProvider<ActivityTable>]: TrainingProvider<ActivityTable>[K] };
  serve?: readonly Record<keyof ServingTarget<ActivityTable>, string>[];
  registry?: Record<keyof Registry<ActivityTable>, string>;
}

/** A plug-in bound to its client: what a worker registers. */
export interface BoundProvider<A extends ActivityTable = ActivityTable> {
  plugin: AnyProviderPlugin;
  activities: A;
}

/**
 * Declares a plug-in with its types checked: every activity an offer names is one of its own, of the
 * shape the offer needs (a serving target's `read` takes an id and answers a deployment, …).
 */
export function defineProvider<Client, A extends ActivityTable>(
  plugin: Pick<ProviderPlugin<Client, A>, 'name' | 'activities'> & ProviderOffers<NoInfer<A>>,
): ProviderPlugin<Client, A> {
  return plugin;
}

/** The plug-in's activities bound to `client`. */
export function bindProvider<Client, A extends ActivityTable>(
  plugin: ProviderPlugin<Client, A>,
  client: Client,
): BoundProvider<A> {
  return { plugin, activities: plugin.activities(client) };
}

/** The activity names a plug-in's offers go through. */
export function offeredActivities(plugin: AnyProviderPlugin): string[] {
  const named = [
    ...Object.values(plugin.train ?? {}),
    ...(plugin.serve ?? []).flatMap(({ target: _target, ...steps }) => Object.values(steps)),
    ...Object.values(plugin.registry ?? {}),
  ];
  return named.filter((n): n is string => typeof n === 'string');
}
