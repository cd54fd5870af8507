/**
 * A provider as a plug-in: its client's activities and what it offers a pipeline (training, serving,
 * a model registry), each offer naming the activities it goes through. The worker registers every
 * plug-in's activities (src/providers/index.ts); the workflows call them by those names.
 * docs/adding-a-provider.md walks through adding one.
 */

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

/** Serving: a deploy target (`deploy.target` in the pipeline file) and the four steps of a deploy. */
export interface ServingTarget<A extends ActivityTable> {
  target: string;
  /** Creates the deployment, or adopts the one an earlier attempt of the same step created. */
  create: ActivityOf<A>;
  /** Reads its status once; answers `CapabilityAbsent` where the provider has no status route. */
  read: ActivityOf<A>;
  /** One request through the deployment; with `untilServing`, "not serving yet" is retried. */
  smokeTest: ActivityOf<A>;
  /** Deletes it idempotently (already gone counts as deleted). */
  remove: ActivityOf<A>;
}

/** A model registry: registered models a pipeline versions and deploys. */
export interface Registry<A extends ActivityTable> {
  list: ActivityOf<A>;
  get: ActivityOf<A>;
  createVersion: ActivityOf<A>;
  archive: ActivityOf<A>;
}

export interface ProviderPlugin<Client, A extends ActivityTable> {
  /** The provider's name, as failures, metrics and its task queue (`<queue>--<name>`) say it. */
  name: string;
  /** Its activities, bound to its client: one activity per API call (or a few pages). */
  activities(client: Client): A;
  train?: TrainingProvider<A>;
  serve?: readonly ServingTarget<A>[];
  registry?: Registry<A>;
}

/** A plug-in bound to its client: what a worker registers. */
export interface BoundProvider<A extends ActivityTable = ActivityTable> {
  plugin: ProviderPlugin<never, A>;
  activities: A;
}

/** Declares a plug-in with its types checked: every activity an offer names is one of its own. */
export function defineProvider<Client, A extends ActivityTable>(
  plugin: ProviderPlugin<Client, A>,
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
export function offeredActivities(plugin: ProviderPlugin<never, ActivityTable>): string[] {
  const named = [
    ...Object.values(plugin.train ?? {}),
    ...(plugin.serve ?? []).flatMap(({ target: _target, ...steps }) => Object.values(steps)),
    ...Object.values(plugin.registry ?? {}),
  ];
  return named.filter((n): n is string => typeof n === 'string');
}
