import type { RollbackAnswer, SlotDeployment } from '../decisions/serving-slot';
import type { DecisionAnswer, PinAnswer, UnpinAnswer } from '../workflows/pipeline/contract';

/**
 * The operator's answers in words, as the CLI prints them and the console shows them: one wording for
 * both.
 */

export const decisionLine = (id: string, a: DecisionAnswer): string =>
  `${id}: ${a.decision} ${a.checkpointId}${a.by ? ` by ${a.by}` : ''}; ${a.next}`;

export const cancelLines = (id: string, a: { phase: string; effects: string[] }): string[] => [
  `${id}: cancelling (was ${a.phase})`,
  ...a.effects.map((e) => `  ${e}`),
];

export const pinLine = (id: string, checkpointId: string, a: PinAnswer): string =>
  `${id}: ${a.result} ${checkpointId} (job ${a.jobId}; checked against the ${a.checkedBy === 'listing' ? "pipeline's listing" : 'provider'})`;

export const unpinLine = (id: string, checkpointId: string, a: UnpinAnswer): string =>
  `${id}: unpinned ${checkpointId}${a.pinned.length ? ` (still pinned: ${a.pinned.join(', ')})` : ''}`;

/** A slot's deployment in a few words: `tensorone-endpoint ep_123`. */
export const deploymentShortId = (d?: SlotDeployment): string => (d ? `${d.target} ${d.deploymentId}` : '-');

export const rollbackLine = (name: string, a: RollbackAnswer): string =>
  `${name}: ${deploymentShortId(a.restored)} serves again (checkpoint ${a.restored.checkpointId}); ${deploymentShortId(a.retiring)} is being retired`;
