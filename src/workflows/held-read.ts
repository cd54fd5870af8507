/**
 * A read started now, awaited later where it is needed: its failure is held (never an unhandled
 * rejection in the workflow) and thrown where it is awaited, or not at all when it is not.
 */
export function heldRead<T>(read: () => Promise<T>): () => Promise<T> {
  const settled = read().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return async () => {
    const outcome = await settled;
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  };
}
