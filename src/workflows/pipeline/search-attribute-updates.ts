import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { JOB_ID_KEY, PHASE_KEY, PROVIDER_KEY } from '../search-attributes';

/**
 * Keeps the custom search attributes current — only those the starter set at start. A namespace that
 * never registered them (the time-skipping test server cannot) then still runs the workflow.
 */
export function updateSearchAttributes(values: { phase?: string; jobId?: string; provider?: string }): void {
  const current = workflowInfo().typedSearchAttributes;
  const updates: Record<string, string[]> = {};
  if (values.phase !== undefined && current.get(PHASE_KEY) !== undefined)
    updates[PHASE_KEY.name] = [values.phase];
  if (values.jobId !== undefined && current.get(JOB_ID_KEY) !== undefined)
    updates[JOB_ID_KEY.name] = [values.jobId];
  if (values.provider !== undefined && current.get(PROVIDER_KEY) !== undefined)
    updates[PROVIDER_KEY.name] = [values.provider];
  if (Object.keys(updates).length) upsertSearchAttributes(updates);
}
