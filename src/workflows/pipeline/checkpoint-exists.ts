import { saysCheckpointGone } from '../../decisions/protection';
import { applicationCause } from '../failure-cause';

/**
 * Whether a TensorOne checkpoint is still there, by its documented GET (through `get`, an activity):
 * 404 is gone; any other failure is not an answer and is thrown. Asked after a claim or a pin reached
 * the protection records, so no cleanup can delete it after this answer: a deletion before the claim
 * held no lease by then, and only the provider can tell.
 */
export async function checkpointExists(
  get: (checkpointId: string) => Promise<unknown>,
  checkpointId: string,
): Promise<boolean> {
  try {
    await get(checkpointId);
    return true;
  } catch (err) {
    if (saysCheckpointGone(applicationCause(err))) return false;
    throw err;
  }
}
