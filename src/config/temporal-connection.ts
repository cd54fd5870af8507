import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { codecFromEnv } from '../codec/aes-gcm-codec';

/**
 * How worker and CLI reach Temporal: the local dev server by default, a cluster or Temporal Cloud by
 * address, namespace, and mTLS files or an API key.
 */
export const temporalEnvSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('finetune-pipelines'),
  TEMPORAL_TLS_CERT: z
    .string()
    .optional()
    .refine((p) => !p || fs.existsSync(p), 'file does not exist'),
  TEMPORAL_TLS_KEY: z
    .string()
    .optional()
    .refine((p) => !p || fs.existsSync(p), 'file does not exist'),
  TEMPORAL_TLS_CA: z
    .string()
    .optional()
    .refine((p) => !p || fs.existsSync(p), 'file does not exist'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
});

export type TemporalEnv = z.infer<typeof temporalEnvSchema>;

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses a schema over the environment, listing every bad variable at once. */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(env)'), message: i.message })),
  );
}

function connectionOptions(env: TemporalEnv) {
  const tls =
    env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY
      ? {
          clientCertPair: {
            crt: fs.readFileSync(env.TEMPORAL_TLS_CERT),
            key: fs.readFileSync(env.TEMPORAL_TLS_KEY),
          },
          serverRootCACertificate: env.TEMPORAL_TLS_CA ? fs.readFileSync(env.TEMPORAL_TLS_CA) : undefined,
        }
      : env.TEMPORAL_API_KEY
        ? true
        : undefined;
  return { address: env.TEMPORAL_ADDRESS, tls, apiKey: env.TEMPORAL_API_KEY };
}

/** Payload encryption (off unless FTP_PAYLOAD_KEYS is set), the same for worker and CLI. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

export async function connectClient(env: TemporalEnv): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect(connectionOptions(env));
  return {
    client: new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      dataConverter: dataConverterFromEnv(),
    }),
    connection,
  };
}

export async function connectWorkerConnection(env: TemporalEnv): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(env));
}
