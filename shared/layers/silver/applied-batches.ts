/**
 * `silver._dp_applied_batch`: which batches each entity's silver table holds. It decides whether a batch is
 * applied on top (newer than all) or triggers a replay (not newer), and lists what a replay must re-apply.
 * A batch that changed nothing leaves no trace in the silver table itself, hence this table.
 */
import { qualified } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import type { TableSpec } from '../tables/table-ddl.ts';
import type { BatchRef } from './silver-entity.ts';

/** Table name; the `_dp_` prefix keeps it apart from entity tables (the naming rule never makes one). */
export const APPLIED_BATCH_TABLE = '_dp_applied_batch';

/** The applied-batch table of a silver schema. */
export function appliedBatchTableSpec(schema: string): TableSpec {
  return {
    schema,
    table: APPLIED_BATCH_TABLE,
    columns: [
      { name: 'entity_id', type: 'text', nullable: false },
      { name: 'batch_id', type: 'uuid', nullable: false },
      { name: 'batch_timestamp', type: 'timestamptz', nullable: false },
      { name: 'call_id', type: 'text', nullable: false },
      { name: 'applied_at', type: 'timestamptz', nullable: false },
    ],
    meta: { key: ['entity_id', 'batch_id'] },
    indexes: [
      { name: '_dp_applied_batch_key', columns: ['entity_id', 'batch_id'], unique: true },
      { name: '_dp_applied_batch_order_idx', columns: ['entity_id', 'batch_timestamp', 'batch_id'], unique: false },
    ],
    checks: [],
  };
}

/**
 * Whether silver already holds this batch or a later one (by batch_timestamp, then batch_id): then applying it
 * on top would be wrong, and the entity is replayed instead.
 */
export async function isBatchBehind(tx: Transaction, schema: string, entityId: string, batch: BatchRef): Promise<boolean> {
  const result = await query<{ behind: boolean }>(
    tx,
    `compare batch with silver of ${entityId}`,
    `select exists (
       select 1
         from ${qualified(schema, APPLIED_BATCH_TABLE)} as applied
        where applied.entity_id = $1
          and (applied.batch_timestamp, applied.batch_id) >= ($2::timestamptz, $3::uuid)
     ) as behind`,
    [entityId, batch.batch_timestamp, batch.batch_id],
  );
  return result.rows[0]?.behind ?? false;
}

/** The batches silver holds for an entity, in order; timestamps as text so microseconds survive the round trip. */
export async function listAppliedBatches(tx: Transaction, schema: string, entityId: string): Promise<BatchRef[]> {
  const result = await query<BatchRef>(
    tx,
    `list applied batches of ${entityId}`,
    `select applied.batch_id::text as batch_id,
            applied.batch_timestamp::text as batch_timestamp
       from ${qualified(schema, APPLIED_BATCH_TABLE)} as applied
      where applied.entity_id = $1
      order by applied.batch_timestamp, applied.batch_id`,
    [entityId],
  );
  return result.rows;
}

/** Records that silver now holds `batch` (written by `callId`). */
export async function recordAppliedBatch(tx: Transaction, schema: string, entityId: string, batch: BatchRef, callId: string): Promise<void> {
  await query(
    tx,
    `record applied batch of ${entityId}`,
    `insert into ${qualified(schema, APPLIED_BATCH_TABLE)} (entity_id, batch_id, batch_timestamp, call_id, applied_at)
     values ($1, $2::uuid, $3::timestamptz, $4, now())
     on conflict (entity_id, batch_id)
     do update set batch_timestamp = excluded.batch_timestamp,
                   call_id = excluded.call_id,
                   applied_at = excluded.applied_at`,
    [entityId, batch.batch_id, batch.batch_timestamp, callId],
  );
}

/** Forgets every batch of an entity (its silver table is about to be rebuilt). */
export async function forgetAppliedBatches(tx: Transaction, schema: string, entityId: string): Promise<void> {
  await query(tx, `forget applied batches of ${entityId}`, `delete from ${qualified(schema, APPLIED_BATCH_TABLE)} where entity_id = $1`, [entityId]);
}
