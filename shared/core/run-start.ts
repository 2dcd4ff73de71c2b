import { isStale } from './run-staleness.ts';

/** Why a call was told not to do its work. */
export type SkipReason = 'already_succeeded' | 'already_running';

/** An earlier run of the same work (same batch and system, or batch, layer and entity), as the audit holds it. */
export interface PriorRun {
  readonly run_id: string;
  readonly started_at: Date;
}

/** What the audit says about the work a call is about to start. */
export interface StartContext {
  /** The latest run of this work that succeeded, if any. */
  readonly succeeded?: PriorRun | undefined;
  /** The run of this work that is `running`, if any (the database allows one at most). */
  readonly running?: PriorRun | undefined;
  /** How many runs of this work actually started before (skipped duplicates not counted). */
  readonly previousAttempts: number;
  /** `force: true` from the payload: reprocess work that already succeeded. */
  readonly force: boolean;
  /** The function's timeout: a `running` run older than this is stale. */
  readonly timeoutSeconds: number;
  readonly now: Date;
}

/** The verdict for a call: do the work (possibly taking over a stale run), or record a skip and return. */
export type StartDecision =
  | { readonly action: 'proceed'; readonly attempt: number; readonly takeOverRunId?: string }
  | { readonly action: 'skip'; readonly reason: SkipReason; readonly duplicateOfRunId: string };

/**
 * Decides whether a call may start its work. A live `running` run always wins, even over `force`: two calls
 * writing the same batch of an entity at once would corrupt it, and the running one will finish the work.
 * A stale one is taken over. Work that already succeeded is skipped unless forced.
 */
export function decideRunStart(context: StartContext): StartDecision {
  const attempt = context.previousAttempts + 1;
  const { running, succeeded } = context;
  if (running) {
    if (isStale(running.started_at, context.timeoutSeconds, context.now)) {
      return { action: 'proceed', attempt, takeOverRunId: running.run_id };
    }
    return { action: 'skip', reason: 'already_running', duplicateOfRunId: running.run_id };
  }
  if (succeeded && !context.force) {
    return { action: 'skip', reason: 'already_succeeded', duplicateOfRunId: succeeded.run_id };
  }
  return { action: 'proceed', attempt };
}

/** The error recorded on a stale run when a new run takes its work over. */
export function staleTakeOverError(newRunId: string): string {
  return `stale, taken over by run ${newRunId}`;
}
