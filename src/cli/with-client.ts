import { connectClient, parseEnv, temporalEnvSchema } from '../config/temporal-connection';

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
