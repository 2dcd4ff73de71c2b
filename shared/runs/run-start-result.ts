import type { SkipReason } from '../core/run-start.ts';

/**
 * What starting a run tells the caller: go ahead with `run` (possibly having taken over a stale run), or return
 * at once because the work is done or in progress; `run` is then the `skipped` row that records the call.
 */
export type RunStart<Run> =
  | { readonly proceed: true; readonly run: Run; readonly tookOverRunId: string | null }
  | { readonly proceed: false; readonly run: Run; readonly reason: SkipReason; readonly duplicateOfRunId: string };
