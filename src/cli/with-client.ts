import { connectClient, parseEnv, temporalEnvSchema } from '../config/temporal-connection';
import { resolvePipelineId } from './pipeline-id';

/** Runs a command with a Temporal client from the environment, and closes its connection after. */
export async function withClient<T>(
  fn: (ctx: Awaited<ReturnType<typeof connectClient>> & { taskQueue: string }) => Promise<T>,
): Promise<T> {
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
  return withClient(async (ctx) => fn({ ...ctx, id: await resolvePipelineId(ctx.client, given) }));
}
