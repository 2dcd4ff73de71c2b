import type pg from 'pg';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { ident, qualified } from '../../../shared/adapters/postgres/sql.ts';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { bronzeTableSpec } from '../../../shared/layers/tables/entity-tables.ts';
import { ensureTable } from '../../../shared/layers/tables/ensure-table.ts';
import { applySilverBatch } from '../../../shared/layers/silver/apply-silver-batch.ts';
import type { BatchRef, LoadType, SilverEntity, SilverResult } from '../../../shared/layers/silver/silver-entity.ts';

/** A customer model with SCD2 columns (name, tier, score), SCD1 columns (email, seen_at) and a text key. */
export const customerModel: EntityModel = {
  name: 'customer',
  key: ['id'],
  columns: [
    { name: 'id', type: 'text', key: true, scd: 2, nullable: false },
    { name: 'name', type: 'text', key: false, scd: 2, nullable: true },
    { name: 'tier', type: 'text', key: false, scd: 2, nullable: true },
    { name: 'score', type: 'numeric', key: false, scd: 2, nullable: true },
    { name: 'email', type: 'text', key: false, scd: 1, nullable: true },
    { name: 'seen_at', type: 'timestamptz', key: false, scd: 1, nullable: true },
  ],
};

/** The customer model with an `is_valid` column (SCD1) whose `false` marks a deletion (a tombstone). */
export const validatedCustomerModel: EntityModel = {
  ...customerModel,
  name: 'vcustomer',
  columns: [...customerModel.columns, { name: 'is_valid', type: 'boolean', key: false, scd: 1, nullable: true }],
};

/** The tombstone rule of `validatedCustomerModel`. */
export const IS_VALID_FALSE = { column: 'is_valid', equals: false } as const;

let tableCounter = 0;

/** A silver entity on a fresh table name (each test its own tables in the file's database). */
export function newEntity(model: EntityModel, loadType: LoadType, extra: Partial<SilverEntity> = {}): SilverEntity {
  tableCounter += 1;
  const table = `${model.name}_${tableCounter}_${loadType}`;
  return { id: table, table, model, loadType, ...extra };
}

/** A batch at `minute` minutes after a fixed instant; ids sort like their timestamps unless given. */
export function batchAt(minute: number, id?: string): BatchRef {
  const batch_timestamp = new Date(Date.UTC(2026, 0, 1, 0, minute, 0));
  const batch_id = id ?? `00000000-0000-7000-8000-${String(minute).padStart(12, '0')}`;
  return { batch_id, batch_timestamp };
}

/** Applies one batch of `entity` to silver in a transaction of its own, as the silver function does. */
export function applyBatch(pool: pg.Pool, entity: SilverEntity, batch: BatchRef, callId = 'call-silver'): Promise<SilverResult> {
  return withTransaction(pool, (tx) => applySilverBatch(tx, { entity, batch, callId }));
}

export type Row = Record<string, unknown>;

/**
 * Writes rows of one batch to `bronze.<table>` as a bronze run would (creating the table from the model): model
 * values plus system columns; `_dp_position` is the row's index unless the row sets it.
 */
export async function writeBronze(
  pool: pg.Pool,
  entity: SilverEntity,
  batch: BatchRef,
  rows: readonly Row[],
  options: { runId?: number } = {},
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    await ensureTable(tx, bronzeTableSpec({ table: entity.table, model: entity.model }));
    if (rows.length === 0) return;
    const names = [...entity.model.columns.map((c) => c.name), '_dp_batch_id', '_dp_batch_timestamp', '_dp_call_id', '_dp_run_id', '_dp_record_id', '_dp_position'];
    const values: unknown[] = [];
    const tuples = rows.map((row, index) => {
      const tuple = [
        ...entity.model.columns.map((c) => (c.type === 'jsonb' && row[c.name] !== undefined && row[c.name] !== null ? JSON.stringify(row[c.name]) : (row[c.name] ?? null))),
        batch.batch_id,
        batch.batch_timestamp,
        'call-bronze',
        options.runId ?? 1,
        `record-${index}`,
        row._dp_position ?? index,
      ];
      const placeholders = tuple.map((value) => {
        values.push(value);
        return `$${values.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await tx.client.query(`insert into ${qualified('bronze', entity.table)} (${names.map(ident).join(', ')}) values ${tuples.join(', ')}`, values);
  });
}

/** Silver rows of an entity ordered by key and validity; `_dp_call_id` left out unless asked for. */
export async function readSilver(pool: pg.Pool, entity: SilverEntity, options: { withCallId?: boolean } = {}): Promise<Row[]> {
  const key = entity.model.key.map(ident).join(', ');
  const result = await pool.query<Row>(`select * from ${qualified('silver', entity.table)} order by ${key}, "_dp_valid_from", "_dp_valid_to" nulls last`);
  return result.rows.map((row) => {
    if (options.withCallId) return row;
    const { _dp_call_id: _ignored, ...rest } = row;
    return rest;
  });
}

/** The versions of one key, oldest first. */
export function versionsOf(rows: readonly Row[], id: string): Row[] {
  return rows.filter((row) => row.id === id);
}
