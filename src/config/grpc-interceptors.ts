import { InterceptingCall, Metadata, status, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionPlugin } from '@temporalio/client';

/**
 * The interceptors of every Temporal client connection this project opens: the SDK's retries, then a
 * guard. A retry is a timer; when the connection was closed before it fires (a call still in flight at
 * `close()`), the channel refuses the new attempt by throwing out of that timer — an uncaught exception
 * that ends the process. The guard answers such an attempt CANCELLED instead, so the call's own promise
 * rejects and nothing else is touched.
 */
export function connectionInterceptors(): Interceptor[] {
  return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), closedChannelGuard];
}

/** The calls whose first attempt was made: the retry interceptor passes the same options to each attempt. */
const attempted = new WeakSet<object>();

const closedChannelGuard: Interceptor = (options, nextCall) => {
  const retry = attempted.has(options);
  attempted.add(options);
  try {
    return new InterceptingCall(nextCall(options));
  } catch (err) {
    // A first attempt throws to its caller, synchronously, as without the guard: the retry interceptor
    // has no answer to pass on yet, and would fail on a status without one.
    if (!retry) throw err;
    return cancelledCall(err instanceof Error ? err.message : String(err));
  }
};

/** A call that was never sent: it answers CANCELLED with the channel's reason, and ignores the rest. */
function cancelledCall(details: string): InterceptingCall {
  return new InterceptingCall(null as never, {
    start: (_metadata, listener) => {
      setImmediate(() =>
        listener.onReceiveStatus({
          code: status.CANCELLED,
          details: `the connection was closed: ${details}`,
          metadata: new Metadata(),
        }),
      );
    },
    sendMessage: () => undefined,
    halfClose: () => undefined,
    cancel: () => undefined,
  });
}

/** The same interceptors for a connection made by someone else (a test environment): as a plug-in. */
export const closedChannelGuardPlugin: ConnectionPlugin = {
  name: 'closed-channel-guard',
  configureConnection: (options) => ({ ...options, interceptors: connectionInterceptors() }),
};
