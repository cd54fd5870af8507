import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const checkout = path.resolve(__dirname, '..');

/**
 * A recorded history as committed to test/histories: the checkout it was recorded in (in the stack
 * traces of its failures) reads `/repo`, so no history names the machine or folder it came from.
 */
export function recordedHistoryJSON(history: temporal.api.history.v1.IHistory): string {
  return historyToJSON(history).split(checkout).join('/repo');
}
