/**
 * Suggestions for a mistyped key: the known keys within two edits of it (letter case ignored), closest
 * first. Pure and deterministic: the workflow runs it too.
 */

const MAX_EDITS = 2;

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length];
}

/** Known keys close to `key`, closest first (ties in the order given); none for a key unlike them all. */
export function closeKeys(key: string, known: readonly string[]): string[] {
  const lower = key.toLowerCase();
  return (
    known
      .map((k, order) => ({ k, order, d: editDistance(lower, k.toLowerCase()) }))
      // A one- or two-letter key is within two edits of every short key: only a case slip counts there.
      .filter(({ k, d }) => d <= MAX_EDITS && d < Math.min(k.length, key.length))
      .sort((x, y) => x.d - y.d || x.order - y.order)
      .map(({ k }) => k)
  );
}

/** "is not a known key; did you mean `a` or `b`?" or, with nothing close, the keys that are known. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const close = closeKeys(key, known);
  if (close.length) return `is not a known key; did you mean ${close.map((k) => `\`${k}\``).join(' or ')}?`;
  return known.length
    ? `is not a known key here (known: ${known.map((k) => `\`${k}\``).join(', ')})`
    : 'is not a known key here (none are allowed)';
}
