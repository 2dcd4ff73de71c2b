/**
 * Run statuses and how a layer's status follows from its entities'. A run starts `running` (or is recorded
 * `skipped` at once when its work is already done or in progress) and ends in exactly one final status; a final
 * status never changes. The database holds that rule: every update that finishes a run matches `status = 'running'`
 * only (`shared/runs/`), and a refused finish is a `RunNotRunningError`.
 */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses a run can end in. */
export type FinalStatus = Exclude<RunStatus, 'running'>;

/** The layers data passes through; `landing` is the connector's, the others process one entity each. */
export const LAYERS = ['landing', 'bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

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
