/**
 * What every silver call does first, inside its transaction: take the entity's lock, then bring the entity's
 * tables to its model (bronze, silver, the applied-batch table) and the stored hashes to the plan.
 */
import { hashExpression } from '../../core/scd-plan.ts';
import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
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
 * Recomputes both hashes of every version from the stored values, after the hash inputs changed (a column was
 * added or dropped, changed its SCD type, or the encoding version moved), so each version's fingerprints stay
 * those of its values under the current model. Change detection compares columns and does not depend on them.
 */
export function recomputeHashesSql(ctx: SilverSqlContext): string {
  const existing = (name: string): string => `existing.${ident(name)}`;
  return `
update ${ctx.silver} as existing
   set ${ident(SILVER_COLUMN.scd2_hash)} = ${hashExpression(ctx.plan.scd2, existing)},
       ${ident(SILVER_COLUMN.scd1_hash)} = ${hashExpression(ctx.plan.scd1, existing)}`;
}

/**
 * Locks the entity and makes its tables match the model; returns the statement context. Refuses a model change
 * the tables cannot take (`UnsafeModelChangeError`) before touching any data.
 */
export async function prepareSilver(tx: Transaction, entity: SilverEntity): Promise<SilverSqlContext> {
  const ctx = silverSqlContext(entity);
  await lockSilverEntity(tx, entity.id);
  const ref = { table: entity.table, model: entity.model };
  await ensureTable(tx, bronzeTableSpec(ref, ctx.schemas.bronze));
  await ensureTable(tx, appliedBatchTableSpec(ctx.schemas.silver));
  const silver = await ensureTable(tx, silverTableSpec(ref, ctx.plan.signature, ctx.schemas.silver));
  if (!silver.created && silver.previousMeta?.hash !== ctx.plan.signature) {
    await query(tx, `recompute hashes of silver ${entity.id}`, recomputeHashesSql(ctx));
  }
  return ctx;
}
