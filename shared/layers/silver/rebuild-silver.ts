import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import { applyBatchStep, type BatchStepResult } from './apply-batch-step.ts';
import { forgetAppliedBatches, recordAppliedBatch } from './applied-batches.ts';
import { prepareSilver } from './prepare-silver.ts';
import type { BatchRef, SilverCounts, SilverEntity, SilverResult, SilverSqlContext } from './silver-entity.ts';

/** A replay's outcome: the summed counts, and what each batch did, by batch id (lowercase). */
export interface ReplayResult {
  readonly total: SilverCounts;
  readonly duplicates: number;
  readonly byBatch: ReadonlyMap<string, BatchStepResult>;
  readonly replayed: number;
}

const ZERO: SilverCounts = { records_in: 0, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 0 };

function add(a: SilverCounts, b: SilverCounts): SilverCounts {
  return {
    records_in: a.records_in + b.records_in,
    records_inserted: a.records_inserted + b.records_inserted,
    records_updated: a.records_updated + b.records_updated,
    records_deleted: a.records_deleted + b.records_deleted,
    records_unchanged: a.records_unchanged + b.records_unchanged,
  };
}

/**
 * Batches in the order silver applies them (batch_timestamp, then batch_id), each once. Ordered by PostgreSQL,
 * so timestamps compare exactly (microseconds included) and ids as uuids, as `isBatchBehind` compares them.
 */
export async function orderBatches(tx: Transaction, batches: readonly BatchRef[]): Promise<BatchRef[]> {
  if (batches.length === 0) return [];
  const result = await query<BatchRef>(
    tx,
    'order batches for replay',
    `with given as (
       select distinct on (batch.batch_id) batch.batch_id, batch.batch_timestamp
         from unnest($1::uuid[], $2::timestamptz[]) as batch (batch_id, batch_timestamp)
        order by batch.batch_id, batch.batch_timestamp
     )
     select given.batch_id::text as batch_id,
            given.batch_timestamp::text as batch_timestamp
       from given
      order by given.batch_timestamp, given.batch_id`,
    [batches.map((batch) => batch.batch_id), batches.map((batch) => batch.batch_timestamp)],
  );
  return result.rows;
}

/**
 * Empties the entity's silver table and applies `batches` from bronze in order, in the caller's transaction (the
 * caller holds the entity lock). Validity comes from each batch's timestamp, so the result is the history an
 * in-order application would have written.
 */
export async function replayBatches(
  tx: Transaction,
  ctx: SilverSqlContext,
  entity: SilverEntity,
  batches: readonly BatchRef[],
  callId: string,
): Promise<ReplayResult> {
  // truncate, not delete: a rebuild rewrites the whole table, and the old versions need no vacuum afterwards.
  // Readers of this table wait for the rebuild's commit instead of seeing the old history meanwhile.
  await query(tx, `empty silver ${entity.id}`, `truncate table ${ctx.silver}`);
  await forgetAppliedBatches(tx, ctx.schemas.silver, entity.id);
  let total = ZERO;
  let duplicates = 0;
  const byBatch = new Map<string, BatchStepResult>();
  const ordered = await orderBatches(tx, batches);
  for (const batch of ordered) {
    const step = await applyBatchStep(tx, ctx, { loadType: entity.loadType, batch, callId, entityId: entity.id });
    await recordAppliedBatch(tx, ctx.schemas.silver, entity.id, batch, callId);
    total = add(total, step.counts);
    duplicates += step.duplicates;
    byBatch.set(batch.batch_id, step);
  }
  return { total, duplicates, byBatch, replayed: ordered.length };
}

/** Input of `rebuildSilver`. */
export interface RebuildSilverRequest {
  readonly entity: SilverEntity;
  /**
   * The batches to replay, in any order: those whose bronze run succeeded (`listSucceededBronzeBatches`), or any
   * list the caller chooses. Silver afterwards holds exactly these batches.
   */
  readonly batches: readonly BatchRef[];
  /** The call doing the rebuild; stored as `_dp_call_id` on every version. */
  readonly callId: string;
}

/**
 * Rebuilds an entity's silver table from bronze: takes the entity lock, empties the table and replays the given
 * batches in batch order, all in the caller's transaction (a failure leaves silver as it was). Counts are summed
 * over the replay.
 *
 * @example await withTransaction(pool, (tx) => rebuildSilver(tx, { entity, batches: await listSucceededBronzeBatches(tx, entity.id), callId }));
 */
export async function rebuildSilver(tx: Transaction, request: RebuildSilverRequest): Promise<SilverResult> {
  const ctx = await prepareSilver(tx, request.entity);
  const replay = await replayBatches(tx, ctx, request.entity, request.batches, request.callId);
  return { mode: 'rebuilt', counts: replay.total, duplicates: replay.duplicates, batches_replayed: replay.replayed };
}
