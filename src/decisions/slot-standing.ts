import type { SlotDeployment, SlotState } from './serving-slot';

/**
 * Where a pipeline's deployment stands in its name's serving slot: the slot, not the run that deployed
 * it, knows whether it still serves (a later promotion or a rollback moves it on).
 */
export type SlotStandingOf =
  | { kind: 'serving'; since: string }
  | { kind: 'draining'; retireAt: string; serving?: SlotDeployment }
  | { kind: 'retiring'; serving?: SlotDeployment }
  | { kind: 'retired'; retiredAt: string; outcome: string; serving?: SlotDeployment }
  /** The slot does not hold it: never promoted, or retired longer ago than the slot remembers. */
  | { kind: 'not-in-slot'; serving?: SlotDeployment };

export function standingInSlot(slot: SlotState, deploymentId: string): SlotStandingOf {
  const serving = slot.champion;
  if (serving?.deploymentId === deploymentId) return { kind: 'serving', since: serving.since };
  const draining = slot.draining.find((d) => d.deploymentId === deploymentId);
  if (draining) return { kind: 'draining', retireAt: draining.retireAt, serving };
  if (slot.retiring.some((d) => d.deploymentId === deploymentId)) return { kind: 'retiring', serving };
  // The newest retirement of it, should an id appear twice.
  const retired = [...slot.retired].reverse().find((d) => d.deploymentId === deploymentId);
  if (retired) return { kind: 'retired', retiredAt: retired.retiredAt, outcome: retired.outcome, serving };
  return { kind: 'not-in-slot', serving };
}

/** The standing as the words `starter status` prints after the deployment's id. */
export function standingText(standing: SlotStandingOf, slotName: string): string {
  const now =
    standing.kind === 'serving' || !standing.serving
      ? ''
      : `; serving ${slotName} now: ${standing.serving.target} ${standing.serving.deploymentId}`;
  switch (standing.kind) {
    case 'serving':
      return `serving ${slotName} (since ${standing.since})`;
    case 'draining':
      return `draining until ${standing.retireAt}, not serving (starter rollback ${slotName} puts it back)${now}`;
    case 'retiring':
      return `being retired, not serving${now}`;
    case 'retired':
      return `retired at ${standing.retiredAt} (${standing.outcome}), not serving${now}`;
    case 'not-in-slot':
      return `not serving (the slot ${slotName} does not hold it)${now}`;
  }
}
