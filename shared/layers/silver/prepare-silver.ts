/**
 * What every silver call does first, inside its transaction: take the entity's lock, then bring the entity's
 * tables to its model (bronze, silver, the applied-batch table).
 */
import { type Transaction } from '../../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../../adapters/postgres/advisory-lock.ts';
import { bronzeTableSpec, silverTableSpec } from '../tables/entity-tables.ts';
import { ensureTable } from '../tables/ensure-table.ts';
import { appliedBatchTableSpec } from './applied-batches.ts';
import { silverSqlContext, type SilverEntity, type SilverSqlContext } from './silver-entity.ts';

/**
 * Serialises silver work per entity for the rest of the transaction: a second call for the same entity waits
 * here until the first commits or rolls back, then sees its result. Other entities are not held up.
 */
export async function lockSilverEntity(tx: Transaction, entityId: string): Promise<void> {
  await lockForTransaction(tx, `lock silver ${entityId}`, `dataplatform:silver:${entityId}`);
}

/**
 * Locks the entity and makes its tables match the model; returns the statement context. Refuses a model change
 * the tables cannot take (`UnsafeModelChangeError`) before touching any data. A silver table from before the
 * fingerprint hashes were removed loses its two hash columns here, once (`RETIRED_SILVER_COLUMNS`).
 */
export async function prepareSilver(tx: Transaction, entity: SilverEntity): Promise<SilverSqlContext> {
  const ctx = silverSqlContext(entity);
  await lockSilverEntity(tx, entity.id);
  const ref = { table: entity.table, model: entity.model };
  await ensureTable(tx, bronzeTableSpec(ref, ctx.schemas.bronze));
  await ensureTable(tx, appliedBatchTableSpec(ctx.schemas.silver));
  await ensureTable(tx, silverTableSpec(ref, ctx.plan.signature, ctx.schemas.silver));
  return ctx;
}
