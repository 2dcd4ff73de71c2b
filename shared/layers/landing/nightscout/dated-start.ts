import type { LookbackMs } from '../../../metadata/entity-schema.ts';
import type { NightscoutBoundary } from './date-window-walk.ts';

/** What decides where a dated collection's read starts in a batch. */
export interface DatedStartInput {
  /** The caller's window start (a backfill, a replay, `full`): read from there, cursor and look-back aside. */
  readonly callerStartMs?: number;
  /** The boundary the previous batch left for this collection. */
  readonly kept?: NightscoutBoundary;
  /** The cursor's window end, when the cursor's position could not be read at all. */
  readonly lostPositionAtMs?: number;
  /** Where a first read starts (`backfill_from`, or 0). */
  readonly initialMs: number;
  /** The entities' look-back for this collection, if any. */
  readonly lookback?: LookbackMs;
  /** When this collection last looked back (a batch timestamp). */
  readonly lastLookbackMs?: number;
  readonly batchMs: number;
}

/** Where the read starts, and the look-back time to record (`undefined`: leave it). */
export interface DatedStart {
  readonly from: NightscoutBoundary;
  readonly lookbackAtMs?: number;
}

/**
 * Plans a dated read's start. From the kept boundary, normally; on a look-back batch (the collection has a
 * look-back and the last one is at least `every` old) from `span` before it, with no ids to skip, so records that
 * were uploaded late with older dates, or edited, within the span land now. A first read (no boundary yet) starts
 * at the beginning and counts as a look-back.
 */
export function planDatedStart(input: DatedStartInput): DatedStart {
  if (input.callerStartMs !== undefined) return { from: { since_ms: input.callerStartMs, ids_at_since: [] } };
  const { kept, lookback } = input;
  if (!kept) {
    const since_ms = input.lostPositionAtMs ?? input.initialMs;
    return { from: { since_ms, ids_at_since: [] }, ...(lookback ? { lookbackAtMs: input.batchMs } : {}) };
  }
  const isDue = lookback !== undefined && (input.lastLookbackMs === undefined || input.batchMs - input.lastLookbackMs >= lookback.every_ms);
  if (!isDue) return { from: kept };
  return { from: { since_ms: Math.max(input.initialMs, kept.since_ms - lookback.span_ms), ids_at_since: [] }, lookbackAtMs: input.batchMs };
}
