import type { SelectionPolicy } from './candidate';

/**
 * The better of the best seen so far and a new value by the selection's direction. A value that is
 * not a finite number (a look without the metric) changes nothing; a tie keeps the earlier one.
 */
export function bestSeen(
  sofar: number | undefined,
  value: number | null | undefined,
  direction: SelectionPolicy['direction'],
): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return sofar;
  if (sofar === undefined || !Number.isFinite(sofar)) return value;
  return (direction === 'minimize' ? value < sofar : value > sofar) ? value : sofar;
}
