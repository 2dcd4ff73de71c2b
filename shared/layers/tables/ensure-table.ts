/**
 * Makes a derived table match its model inside the caller's transaction: creates it when missing, adds new
 * columns, drops retired system columns, and refuses what cannot change in place (`UnsafeModelChangeError`).
 */
import { UnsafeModelChangeError } from '../../errors.ts';
import { ident, qualified } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../../adapters/postgres/advisory-lock.ts';
import { planTableChange, type ExistingColumn, type ExistingTable } from './table-change.ts';
import { addColumnSql, commentTableSql, createIndexSql, createTableSql, dropNotNullSql, dropRetiredColumnSql, parseTableMeta, type TableMeta, type TableSpec } from './table-ddl.ts';

/**
 * Serialises DDL on derived tables across all entities and functions. Concurrent `create … if not exists` of
 * one name can still fail on the catalog's unique index, so whoever changes a table holds this lock (until its
 * transaction ends) and looks again. Taken only when a change is needed, and always after any per-entity lock,
 * so the order of locks is the same everywhere.
 */
const DDL_LOCK_KEY = 'dataplatform:table-ddl';

/** Everything `ensureTable` compares, in one round trip: existence, comment, columns and index names. */
const READ_TABLE = `
  select to_regclass($1) is not null as table_exists,
         to_regnamespace($2) is not null as schema_exists,
         obj_description(to_regclass($1), 'pg_class') as comment,
         coalesce((
           select json_agg(json_build_object(
                    'name', attribute.attname,
                    'type', format_type(attribute.atttypid, attribute.atttypmod),
                    'nullable', not attribute.attnotnull
                  ) order by attribute.attnum)
             from pg_attribute as attribute
            where attribute.attrelid = to_regclass($1)
              and attribute.attnum > 0
              and not attribute.attisdropped
         ), '[]') as columns,
         coalesce((
           select json_agg(index_class.relname::text)
             from pg_index as index
             join pg_class as index_class on index_class.oid = index.indexrelid
            where index.indrelid = to_regclass($1)
         ), '[]') as indexes`;

/** What `ensureTable` found and did. */
export interface EnsuredTable {
  /** The table did not exist and was created. */
  readonly created: boolean;
  /** Columns added to an existing table. */
  readonly addedColumns: readonly string[];
  /** Retired system columns dropped from an existing table. */
  readonly droppedColumns: readonly string[];
  /** The meta the table's comment held before (undefined for a new table or one without it). */
  readonly previousMeta: TableMeta | undefined;
}

interface TableState {
  readonly tableExists: boolean;
  readonly schemaExists: boolean;
  readonly existing: ExistingTable;
  readonly indexes: ReadonlySet<string>;
}

async function readTable(tx: Transaction, spec: TableSpec): Promise<TableState> {
  const result = await query<{ table_exists: boolean; schema_exists: boolean; comment: string | null; columns: ExistingColumn[]; indexes: string[] }>(
    tx,
    `read table ${spec.schema}.${spec.table}`,
    READ_TABLE,
    [qualified(spec.schema, spec.table), ident(spec.schema)],
  );
  const row = result.rows[0];
  return {
    tableExists: row?.table_exists ?? false,
    schemaExists: row?.schema_exists ?? false,
    existing: { columns: row?.columns ?? [], meta: parseTableMeta(row?.comment) },
    indexes: new Set(row?.indexes ?? []),
  };
}

function needsChange(spec: TableSpec, state: TableState): boolean {
  if (!state.tableExists) return true;
  const plan = planTableChange(spec, state.existing);
  return plan.refusals.length > 0 || plan.addColumns.length > 0 || plan.dropColumns.length > 0 || plan.dropNotNull.length > 0 || plan.rewriteMeta || spec.indexes.some((index) => !state.indexes.has(index.name));
}

/**
 * Creates the table (and its schema) when missing, else brings it to the model: adds new columns (nullable),
 * drops retired system columns (`drop column if exists`, so a second run finds nothing to do), relaxes not-null
 * on dropped columns, creates missing indexes, records the new meta in the comment. A type change or a changed
 * key throws `UnsafeModelChangeError` naming each problem and what to do; nothing changes.
 * The common case (nothing to do) reads the catalog and takes no lock.
 */
export async function ensureTable(tx: Transaction, spec: TableSpec): Promise<EnsuredTable> {
  let state = await readTable(tx, spec);
  const previousMeta = state.existing.meta;
  if (!needsChange(spec, state)) return { created: false, addedColumns: [], droppedColumns: [], previousMeta };

  await lockForTransaction(tx, 'lock table changes', DDL_LOCK_KEY);
  state = await readTable(tx, spec);
  if (!state.tableExists) {
    if (!state.schemaExists) await query(tx, `create schema ${spec.schema}`, `create schema if not exists ${ident(spec.schema)}`);
    for (const statement of createTableSql(spec)) await query(tx, `create table ${spec.schema}.${spec.table}`, statement);
    return { created: true, addedColumns: [], droppedColumns: [], previousMeta: undefined };
  }
  const plan = planTableChange(spec, state.existing);
  if (plan.refusals.length > 0) {
    throw new UnsafeModelChangeError(`the model of ${spec.schema}.${spec.table} changed in a way the table cannot take:\n- ${plan.refusals.join('\n- ')}`);
  }
  const action = `change table ${spec.schema}.${spec.table}`;
  for (const column of plan.addColumns) await query(tx, action, addColumnSql(spec, column));
  for (const column of plan.dropColumns) await query(tx, action, dropRetiredColumnSql(spec, column));
  for (const column of plan.dropNotNull) await query(tx, action, dropNotNullSql(spec, column));
  for (const index of spec.indexes) {
    if (!state.indexes.has(index.name)) await query(tx, action, createIndexSql(spec, index));
  }
  if (plan.rewriteMeta) await query(tx, action, commentTableSql(spec));
  return {
    created: false,
    addedColumns: plan.addColumns.map((column) => column.name),
    droppedColumns: plan.dropColumns,
    previousMeta: state.existing.meta,
  };
}
