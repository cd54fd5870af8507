import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { asReadFailure } from '../../src/activities/provider-rate-reads';

describe('a read made through the provider queue fails the look as a direct read would', () => {
  it("the provider's classified refusal comes back as itself: its type and that it is not retryable", () => {
    const refusal = ApplicationFailure.nonRetryable('no such route', 'CAPABILITY_ABSENT');
    const failed = new WorkflowFailedError(
      'Workflow execution failed',
      new ActivityFailure(
        'activity failed',
        'listTrainingJobs',
        '1',
        RetryState.NON_RETRYABLE_FAILURE,
        'w',
        refusal,
      ),
      RetryState.NON_RETRYABLE_FAILURE,
    );
    expect(asReadFailure(failed)).toBe(refusal);
  });

  it('a read the queue did not answer in time is a retryable failure that says so', () => {
    const failed = new WorkflowFailedError(
      'Workflow execution timed out',
      new TimeoutFailure('timed out', undefined, TimeoutType.START_TO_CLOSE),
      RetryState.TIMEOUT,
    );
    const read = asReadFailure(failed) as ApplicationFailure;
    expect(read).toBeInstanceOf(ApplicationFailure);
    expect(read.type).toBe('PROVIDER_QUEUE_UNANSWERED');
    expect(read.nonRetryable).toBe(false);
    expect(read.message).toMatch(/did not answer within 2m/);
  });

  it('anything else (the client could not reach Temporal) is handed on unchanged', () => {
    const other = new Error('connection refused');
    expect(asReadFailure(other)).toBe(other);
  });
});
