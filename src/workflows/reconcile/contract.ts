// The contract of `reconcileOrphans`: its input and result. They stand beside the pure rules that check
// the input and build each entry (src/decisions/reconcile.ts); the reconciler answers no messages.
export type { ReconcileEntry, ReconcileInput, ReconcileResult } from '../../decisions/reconcile';
