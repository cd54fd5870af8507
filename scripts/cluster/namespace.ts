import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import {
  _ as decodeIndexedValueType,
  encodeSearchAttributeIndexedValueType,
} from '@temporalio/common/lib/search-attributes';
import { msToTs } from '@temporalio/common/lib/time';
import { EngineProvisionError } from '../../engine/errors';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { waitFor } from './processes';
import type { ClusterSettings } from './settings';
import { connectionInterceptors } from '../../src/config/grpc-interceptors';

/** gRPC status codes (the numbers are the protocol's). */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/**
 * A fresh cluster has no namespace (the dev server makes `default` itself): registers it with the
 * retention, then registers the workflows' custom search attributes (src/workflows/search-attributes.ts)
 * in it, and waits until a visibility query using all of them is accepted. Safe to run again.
 */
export async function ensureNamespace(
  address: string,
  settings: ClusterSettings,
  log: (line: string) => void,
): Promise<{ registered: boolean; added: string[] }> {
  const connection = await Connection.connect({
    address,
    connectTimeout: 10_000,
    interceptors: connectionInterceptors(),
  });
  try {
    const registered = await registerIfMissing(connection, settings);
    if (registered)
      log(`  registered namespace ${settings.namespace} (retention ${settings.retentionDays} d)`);
    // A namespace just registered reaches the frontend's namespace cache within ~10 s.
    const ready = await waitFor(
      () => isUsable(connection, settings.namespace, `WorkflowId = 'cluster-readiness-probe'`),
      60_000,
      1000,
    );
    if (!ready)
      throw new EngineProvisionError(
        `namespace ${settings.namespace} was registered but the frontend does not serve it after 60 s`,
      );
    const added = await addMissingSearchAttributes(connection, settings.namespace);
    if (added.length) log(`  registered search attributes ${added.join(', ')} in ${settings.namespace}`);
    const query = CUSTOM_SEARCH_ATTRIBUTES.map((k) => `${k.name} IS NULL`).join(' OR ');
    const visible = await waitFor(() => isUsable(connection, settings.namespace, query), 90_000, 1000);
    if (!visible)
      throw new EngineProvisionError(
        `search attributes ${CUSTOM_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')} are registered but visibility does not accept them after 90 s`,
      );
    return { registered, added };
  } finally {
    await connection.close();
  }
}

async function registerIfMissing(connection: Connection, settings: ClusterSettings): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace: settings.namespace });
    return false;
  } catch (err) {
    if (!isGrpcServiceError(err) || err.code !== NOT_FOUND) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace: settings.namespace,
      description: 'finetune-pipelines (npm run cluster)',
      workflowExecutionRetentionPeriod: msToTs(`${settings.retentionDays}d`),
    });
    return true;
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === ALREADY_EXISTS) return false;
    throw err;
  }
}

async function addMissingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, number> = {};
  for (const key of CUSTOM_SEARCH_ATTRIBUTES) {
    const existing = customAttributes?.[key.name];
    const wanted = encodeSearchAttributeIndexedValueType(key.type as SearchAttributeType)!;
    if (existing === undefined || existing === null) missing[key.name] = wanted;
    else if (existing !== wanted)
      throw new EngineProvisionError(
        `search attribute ${key.name} is registered in ${namespace} as ${decodeIndexedValueType(existing)}, the workflows need ${key.type}: remove it (temporal operator search-attribute remove) or use another namespace`,
      );
  }
  if (!Object.keys(missing).length) return [];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return Object.keys(missing);
}

/** True when a visibility list with `query` succeeds in the namespace; undefined to poll again. */
async function isUsable(connection: Connection, namespace: string, query: string): Promise<true | undefined> {
  const client = new Client({ connection, namespace });
  try {
    const rows = client.workflow.list({ query, pageSize: 1 });
    for await (const _row of rows) break;
    return true;
  } catch {
    return undefined;
  }
}
