import { v7 as uuidv7 } from 'uuid';

/**
 * A new batch id: a UUIDv7, so ids sort by creation time and a batch's rows cluster in indexes.
 * Made here, at the edge, so `shared/core` stays free of clocks and randomness.
 */
export function newBatchId(): string {
  return uuidv7();
}

/** A new id for an audit row (run, check result, outbox message); UUIDv7 like batch ids. */
export function newRunId(): string {
  return uuidv7();
}
