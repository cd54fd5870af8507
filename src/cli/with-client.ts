import type { connectClient } from '../config/temporal-connection';

/*
 * The connection modules (the Temporal client, its protobufs) are loaded when a command connects, not
 * when the CLI starts: `--help` and refusals of bad flags stay quick.
 */

/** Runs a command with a Temporal client from the environment, and closes its connection after. */
export async function withClient<T>(
  fn: (ctx: Awaited<ReturnType<typeof connectClient>> & { taskQueue: string }) => Promise<T>,
): Promise<T> {
  const { connectClient, parseEnv, temporalEnvSchema } = await import('../config/temporal-connection');
  const env = parseEnv(temporalEnvSchema, process.env);
  const ctx = await connectClient(env);
  try {
    return await fn({ ...ctx, taskQueue: env.TEMPORAL_TASK_QUEUE });
  } finally {
    await ctx.connection.close();
  }
}

/** `withClient` for a command that addresses one pipeline: `id` is its workflow id (a name is resolved). */
export async function withPipeline<T>(
  given: string,
  fn: (ctx: Awaited<ReturnType<typeof connectClient>> & { taskQueue: string; id: string }) => Promise<T>,
): Promise<T> {
  const { resolvePipelineId } = await import('./pipeline-id');
  return withClient(async (ctx) => fn({ ...ctx, id: await resolvePipelineId(ctx.client, given) }));
}
