import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { closedChannelGuardPlugin, connectionInterceptors } from '../../src/config/grpc-interceptors';

/** A fresh time-skipping server for this test file; call `teardown()` in afterAll. */
export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.FTP_TEST_SERVER_PATH;
  if (!path)
    throw new Error('FTP_TEST_SERVER_PATH is unset: run tests through `npm test` (jest global setup).');
  // The SDK gives the server 5 s to start; on a loaded machine (several test files starting servers at
  // once, a JVM starting slowly) that is sometimes too little, so a start that timed out is tried again,
  // for about a minute in all.
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path } },
        plugins: [closedChannelGuardPlugin],
      });
    } catch (err) {
      if (attempt >= 10 || !/did not start within/.test(String((err as Error)?.message))) throw err;
      // A moment for the machine's load to pass before the next start.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

export interface DevServerHandle {
  client: Client;
  nativeConnection: NativeConnection;
  address: string;
  close(): Promise<void>;
}

/** Connections to the dev server that jest's global setup started for this run. */
export async function connectDevServer(): Promise<DevServerHandle> {
  const address = process.env.FTP_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('FTP_TEST_TEMPORAL_ADDRESS is unset: run tests through `npm test` (jest global setup).');
  const connection = await Connection.connect({ address, interceptors: connectionInterceptors() });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    nativeConnection,
    address,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** A task queue of its own per test, so tests sharing a server never pick up each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
