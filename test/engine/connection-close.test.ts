import { Connection } from '@temporalio/client';
import { connectionInterceptors } from '../../src/config/grpc-interceptors';

/**
 * A call still retrying when its connection is closed: without the guard its next attempt throws
 * "Channel has been shut down" out of the retry's timer — an uncaught exception that ends the process
 * (in jest: the whole test file fails to run). With it, the call's own promise rejects, CANCELLED.
 */
it('a call in flight when its connection closes rejects CANCELLED instead of throwing from a timer', async () => {
  // Nothing listens on port 1: every attempt fails UNAVAILABLE and is retried.
  const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: connectionInterceptors() });
  const call = connection.workflowService.getSystemInfo({}).then(
    () => 'answered',
    (err: unknown) => String(err),
  );
  await new Promise((resolve) => setTimeout(resolve, 300)); // the first attempt failed; a retry waits
  await connection.close();
  expect(await call).toMatch(/CANCELLED: the connection was closed: Channel has been shut down/);
  // Later retry timers of the same call, if any, find nothing to throw either.
  await new Promise((resolve) => setTimeout(resolve, 3000));
}, 30_000);

it('a call made after its connection closed fails to its caller, and nothing throws later', async () => {
  const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: connectionInterceptors() });
  await connection.close();
  const answer = await Promise.resolve()
    .then(() => connection.workflowService.getSystemInfo({}))
    .then(
      () => 'answered',
      (err: unknown) => String(err),
    );
  expect(answer).toMatch(/Channel has been shut down|closed/i);
  // A status answered later from a timer would fail this file (an uncaught exception) while it waits.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}, 30_000);
