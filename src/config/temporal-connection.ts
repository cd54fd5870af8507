import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadClientConfigProfile, loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { codecFromEnv } from '../codec/aes-gcm-codec';
import { connectionInterceptors } from './grpc-interceptors';
import { portAnswers } from './port-answers';

const DEFAULT_ADDRESS = '127.0.0.1:7233';
const DEFAULT_NAMESPACE = 'default';

/** This project's first names for the mTLS files, kept as aliases of Temporal's standard ones. */
const TLS_ALIASES = {
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
} as const;

const existingFile = z
  .string()
  .optional()
  .refine((p) => !p || fs.existsSync(p), 'file does not exist');

/**
 * How worker and CLI reach Temporal, read the way Temporal's CLI and SDKs read it (`@temporalio/envconfig`):
 * a profile in the config file (`TEMPORAL_CONFIG_FILE`, else `~/.config/temporalio/temporal.toml`;
 * `TEMPORAL_PROFILE`, else `default`) overlaid by Temporal's standard variables — `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`. Without either: the local dev server.
 */
export const temporalEnvSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .default(() => fileProfile().address ?? DEFAULT_ADDRESS),
  TEMPORAL_NAMESPACE: z
    .string()
    .min(1)
    .default(() => fileProfile().namespace ?? DEFAULT_NAMESPACE),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('finetune-pipelines'),
  TEMPORAL_TLS_CLIENT_CERT_PATH: existingFile,
  TEMPORAL_TLS_CLIENT_KEY_PATH: existingFile,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: existingFile,
  TEMPORAL_TLS_CERT: existingFile,
  TEMPORAL_TLS_KEY: existingFile,
  TEMPORAL_TLS_CA: existingFile,
  TEMPORAL_API_KEY: z.string().min(1).optional(),
});

/** The profile from the config file alone (variables are applied on top by the schema and the connection). */
function fileProfile(): { address?: string; namespace?: string } {
  try {
    return loadClientConfigProfile({ disableEnv: true });
  } catch (err) {
    throw new ConfigError([
      {
        variable: process.env.TEMPORAL_PROFILE ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE',
        message: `Temporal config file: ${(err as Error).message}`,
      },
    ]);
  }
}

type TemporalEnv = z.infer<typeof temporalEnvSchema>;

interface ConfigIssue {
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

/**
 * Connection options from Temporal's standard sources, with the address and namespace the schema
 * resolved (the same sources) and the old TLS names applied where the standard ones are unset.
 */
export function temporalConnectionOptions(env: TemporalEnv) {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v) vars[k] = v;
  for (const [alias, standard] of Object.entries(TLS_ALIASES)) {
    const value = env[alias as keyof typeof TLS_ALIASES];
    if (value && !vars[standard]) vars[standard] = value;
  }
  vars.TEMPORAL_ADDRESS = env.TEMPORAL_ADDRESS;
  vars.TEMPORAL_NAMESPACE = env.TEMPORAL_NAMESPACE;
  if (env.TEMPORAL_API_KEY) vars.TEMPORAL_API_KEY = env.TEMPORAL_API_KEY;
  return loadClientConnectConfig({ overrideEnvVars: vars }).connectionOptions;
}

/** Payload encryption (off unless FTP_PAYLOAD_KEYS is set), the same for worker and CLI. */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}

/** gRPC answers that mean an HTTP server (a Web UI, a proxy) answered where Temporal's frontend should be. */
const NOT_TEMPORAL =
  /UNIMPLEMENTED|Received HTTP status code|HTTP\/1\.1|Protocol error|unexpected content-type/i;

const notTemporal = (address: string, why: string) =>
  `${address} answers, but not as a Temporal server (${why}). ` +
  "Point TEMPORAL_ADDRESS at the frontend's gRPC port (7233 by default; 8233 is the dev server's Web UI, " +
  'not its API) or at your cluster (TEMPORAL_PROFILE in temporal.toml).';

/** Whether something accepts TCP connections at host:port (within a second). */
function listens(address: string): Promise<boolean> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  if (at < 0 || !Number.isInteger(port)) return Promise.resolve(false);
  return portAnswers(port, host);
}

/** A connection that failed, said so that the operator knows where it looked and what to do next. */
/** No Temporal frontend at the address (nothing there, or another kind of server): what to do instead. */
export class TemporalUnreachable extends Error {
  override name = 'TemporalUnreachable';
}

async function unreachable(
  address: string | undefined,
  namespace: string,
  err: unknown,
): Promise<TemporalUnreachable> {
  const why = err instanceof Error ? err.message : String(err);
  // Something listening where gRPC could not connect is some other server (a Web UI, a proxy).
  if (NOT_TEMPORAL.test(why) || (address && (await listens(address))))
    return new TemporalUnreachable(notTemporal(address ?? 'the default address', why));
  return new TemporalUnreachable(
    `could not reach Temporal at ${address ?? 'the default address'} (namespace ${namespace}): ${why}. ` +
      'Is the server running? `npm start` runs one with the worker; or point TEMPORAL_ADDRESS ' +
      '(or a TEMPORAL_PROFILE in temporal.toml) at your cluster.',
  );
}

export async function connectClient(env: TemporalEnv): Promise<{ client: Client; connection: Connection }> {
  const options = temporalConnectionOptions(env);
  const connection = await Connection.connect({
    ...options,
    interceptors: connectionInterceptors(),
  }).catch(async (err: unknown) => {
    throw await unreachable(options.address, env.TEMPORAL_NAMESPACE, err);
  });
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
  const options = temporalConnectionOptions(env);
  // Loaded here: the worker's native runtime is heavy, and the CLI's commands never need it.
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect(options).catch(async (err: unknown) => {
    throw await unreachable(options.address, env.TEMPORAL_NAMESPACE, err);
  });
}

/**
 * Server answers that have a known remedy, as one line that says what to do; undefined for others.
 * A namespace without the custom search attributes refuses starts and `list --phase` queries.
 */
export function temporalRemedy(
  err: unknown,
  namespace = process.env.TEMPORAL_NAMESPACE ?? 'default',
): string | undefined {
  const text =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err);
  const attribute =
    /no mapping defined for search attribute (\w+)|search attribute (\w+) is not defined/i.exec(text);
  if (attribute) {
    const names = CUSTOM_SEARCH_ATTRIBUTES.map((k) => `--name ${k.name} --type Keyword`).join(' ');
    return (
      `namespace ${namespace} has no search attribute ${attribute[1] ?? attribute[2]}: register the pipeline's three with ` +
      `\`temporal operator search-attribute create --namespace ${namespace} ${names}\` ` +
      '(or run with --no-search-attributes; `npm start` registers them on its dev server)'
    );
  }
  if (NOT_TEMPORAL.test(text) && /UNIMPLEMENTED|HTTP status/i.test(text))
    return notTemporal(process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', text.trim());
  return undefined;
}
