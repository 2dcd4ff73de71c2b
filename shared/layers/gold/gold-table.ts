/**
 * `gold.<table>` of a gold entity, derived from its model like bronze and silver tables: the model's columns,
 * then the gold system columns, and a unique index on the model's key.
 */
import { qualified } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import type { EntityModel } from '../../core/entity-model.ts';
import { GOLD_COLUMN, GOLD_SCHEMA } from '../../core/table-layout.ts';
import { UnsafeModelChangeError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { derivedName } from '../tables/entity-tables.ts';
import { ensureTable, type EnsuredTable } from '../tables/ensure-table.ts';
import type { TableColumn, TableSpec } from '../tables/table-ddl.ts';

/**
 * What every gold row carries besides the model's columns: the batch that triggered the run which last changed
 * the row, that run (`audit.entity_layer_run`), and its call. A row the recompute left unchanged keeps them, so
 * they say when the row last changed, and why.
 */
export const GOLD_SYSTEM_COLUMNS: readonly TableColumn[] = [
  { name: GOLD_COLUMN.batch_id, type: 'uuid', nullable: false },
  { name: GOLD_COLUMN.run_id, type: 'uuid', nullable: false },
  { name: GOLD_COLUMN.call_id, type: 'text', nullable: true },
];

/** The table description of a gold entity: model columns (key columns never null), system columns, unique key. */
export function goldTableSpec(table: string, model: EntityModel, schema: string = GOLD_SCHEMA): TableSpec {
  return {
    schema,
    table,
    columns: [
      ...model.columns.map((column) => ({ name: column.name, type: column.type, nullable: column.nullable && !column.key })),
      ...GOLD_SYSTEM_COLUMNS,
    ],
    meta: { key: model.key },
    indexes: [{ name: derivedName(table, 'key'), columns: model.key, unique: true }],
    checks: [],
  };
}

/**
 * Brings the gold table to its model in the caller's transaction (create, add columns, new indexes). A change
 * the table cannot take in place (a type change, another key) drops and recreates it instead: a gold table is
 * derived in full by every recompute, so nothing is lost, and the recompute fills it in the same transaction.
 */
export async function ensureGoldTable(tx: Transaction, spec: TableSpec, log: Logger): Promise<EnsuredTable> {
  try {
    return await ensureTable(tx, spec);
  } catch (error) {
    if (!(error instanceof UnsafeModelChangeError)) throw error;
    log.warn({ table: `${spec.schema}.${spec.table}`, reason: error.message }, 'gold table recreated for its changed model');
    await query(tx, `drop gold table ${spec.table}`, `drop table ${qualified(spec.schema, spec.table)}`);
    return ensureTable(tx, spec);
  }
}
