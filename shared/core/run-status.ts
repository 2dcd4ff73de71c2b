/**
 * Run statuses and the rules between them. A run starts `running` (or is recorded `skipped` at once when its
 * work is already done or in progress) and ends in exactly one final status; a final status never changes.
 */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses a run can end in. */
export type FinalStatus = Exclude<RunStatus, 'running'>;

/** The layers data passes through; `landing` is the connector's, the others process one entity each. */
export const LAYERS = ['landing', 'bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

/** Whether a run in this status is over (its row will not change again). */
export function isFinalStatus(status: RunStatus): status is FinalStatus {
  return status !== 'running';
}

/** Whether a run may move from one status to another: only `running` moves, and only to a final status. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return from === 'running' && isFinalStatus(to);
}

/** How many entities of a system's layer ended in each final status. */
export interface EntityOutcomeCounts {
  readonly entities_succeeded: number;
  readonly entities_failed: number;
  readonly entities_skipped: number;
}

/** Where a system's layer stands once its entities' outcomes are counted. */
export type LayerSummary = { readonly isComplete: false } | { readonly isComplete: true; readonly status: FinalStatus };

/**
 * Summarises a system's layer from its entities' outcomes: complete once every expected entity has one; then
 * `failed` if any entity failed, `succeeded` if any succeeded, else `skipped` (nothing was processed).
 */
export function summarizeLayer(counts: EntityOutcomeCounts, entitiesExpected: number): LayerSummary {
  const finished = counts.entities_succeeded + counts.entities_failed + counts.entities_skipped;
  if (finished < entitiesExpected) return { isComplete: false };
  if (counts.entities_failed > 0) return { isComplete: true, status: 'failed' };
  if (counts.entities_succeeded > 0) return { isComplete: true, status: 'succeeded' };
  return { isComplete: true, status: 'skipped' };
}
