/**
 * How a recompute lands in a gold table: the processor's rows are staged (typed by the model), checked for
 * duplicate keys, then merged set-based: delete the keys that are gone, update the rows that changed, insert the
 * new keys. Equal rows stay untouched, so a second recompute on the same silver changes nothing.
 */
import { ident, keyMatch, qualified } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import type { EntityModel } from '../../core/entity-model.ts';
import { GOLD_COLUMN } from '../../core/table-layout.ts';
import { PlatformError } from '../../errors.ts';
import { sqlType, type TableSpec } from '../tables/table-ddl.ts';
import type { GoldCounts } from './gold-processor.ts';

/** The temp table a recompute's rows are staged in (dropped at commit; replaced by a second `replaceRows`). */
const STAGE = ident('_dp_gold_incoming');

/** Who writes the rows: stored in the gold system columns of the rows that change. */
export interface GoldWriter {
  readonly batch_id: string;
  readonly run_id: string;
  readonly call_id: string | undefined;
}

/** A processor returned one key more than once: a bug in its SQL, refused before the table changes. */
export class DuplicateGoldKeyError extends PlatformError {
  readonly status = 500;
  readonly code = 'duplicate_gold_key';

  constructor(
    readonly table: string,
    readonly key: Readonly<Record<string, unknown>>,
    readonly copies: number,
  ) {
    super(`gold ${table}: the recompute returned key ${JSON.stringify(key)} ${copies} times; a gold key must be unique`);
  }
}

function first<T>(rows: readonly T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`gold: ${what} returned no row`);
  return row;
}

/** `create temp table` with the model's columns and types, so the processor's values are cast as the table's. */
function createStageSql(model: EntityModel): string {
  const columns = model.columns.map((column) => `${ident(column.name)} ${sqlType(column.type)}`);
  return `create temp table ${STAGE} (\n  ${columns.join(',\n  ')}\n) on commit drop`;
}

/** Copies the processor's rows into the stage by column name (never by position). */
function stageRowsSql(model: EntityModel, select: string): string {
  const names = model.columns.map((column) => ident(column.name)).join(', ');
  const produced = model.columns.map((column) => `produced.${ident(column.name)}`).join(', ');
  return `insert into ${STAGE} (${names})\nselect ${produced}\n  from (\n${select}\n) as produced`;
}

function duplicateKeysSql(model: EntityModel): string {
  const key = model.key.map(ident).join(', ');
  return `
select ${key}, count(*)::int as "_dp_copies"
  from ${STAGE}
 group by ${key}
having count(*) > 1
 limit 1`;
}

function deleteGoneSql(model: EntityModel, target: string): string {
  return `
with deleted as (
  delete from ${target} as existing
   where not exists (
     select 1
       from ${STAGE} as incoming
      where ${keyMatch(model.key, 'incoming', 'existing')}
   )
  returning 1
)
select count(*)::int as deleted
  from deleted`;
}

/** Parameters: $1 batch_id, $2 run_id, $3 call_id. */
function updateChangedSql(model: EntityModel, target: string): string {
  const values = model.columns.filter((column) => !column.key);
  const assignments = [
    ...values.map((column) => `${ident(column.name)} = incoming.${ident(column.name)}`),
    `${ident(GOLD_COLUMN.batch_id)} = $1::uuid`,
    `${ident(GOLD_COLUMN.run_id)} = $2::uuid`,
    `${ident(GOLD_COLUMN.call_id)} = $3::text`,
  ];
  // A table of key columns only has nothing to update: a row is there (unchanged) or not.
  const changed = values.length === 0 ? 'false' : values.map((column) => `existing.${ident(column.name)} is distinct from incoming.${ident(column.name)}`).join('\n          or ');
  return `
with updated as (
  update ${target} as existing
     set ${assignments.join(',\n         ')}
    from ${STAGE} as incoming
   where ${keyMatch(model.key, 'existing', 'incoming')}
     and (${changed})
  returning 1
)
select count(*)::int as updated
  from updated`;
}

/** Parameters: $1 batch_id, $2 run_id, $3 call_id. */
function insertNewSql(model: EntityModel, target: string): string {
  const names = model.columns.map((column) => ident(column.name));
  return `
with inserted as (
  insert into ${target} (${[...names, ident(GOLD_COLUMN.batch_id), ident(GOLD_COLUMN.run_id), ident(GOLD_COLUMN.call_id)].join(', ')})
  select ${names.map((name) => `incoming.${name}`).join(', ')}, $1::uuid, $2::uuid, $3::text
    from ${STAGE} as incoming
   where not exists (
     select 1
       from ${target} as existing
      where ${keyMatch(model.key, 'existing', 'incoming')}
   )
  returning 1
)
select count(*)::int as inserted
  from inserted`;
}

/**
 * Replaces the rows of the gold table `spec` with what `select` returns, in `tx` (see the module comment).
 * Returns the counts for the audit row.
 */
export async function replaceGoldRows(
  tx: Transaction,
  target: { readonly spec: TableSpec; readonly model: EntityModel },
  writer: GoldWriter,
  select: string,
  values: readonly unknown[] = [],
): Promise<GoldCounts> {
  const { model } = target;
  const table = qualified(target.spec.schema, target.spec.table);
  const action = (what: string): string => `${what} (gold ${target.spec.table})`;
  await query(tx, action('drop earlier staging'), `drop table if exists pg_temp.${STAGE}`);
  await query(tx, action('create staging'), createStageSql(model));
  const staged = await query(tx, action('compute rows'), stageRowsSql(model, select), values);
  const duplicate = (await query<Record<string, unknown>>(tx, action('look for duplicate keys'), duplicateKeysSql(model))).rows[0];
  if (duplicate) {
    const { _dp_copies: copies, ...key } = duplicate;
    throw new DuplicateGoldKeyError(target.spec.table, key, Number(copies));
  }
  // Temp tables are never analysed automatically; without statistics the planner guesses the stage's size.
  await query(tx, action('analyse staged rows'), `analyze ${STAGE}`);
  const params = [writer.batch_id, writer.run_id, writer.call_id ?? null];
  const deleted = first((await query<{ deleted: number }>(tx, action('delete gone keys'), deleteGoneSql(model, table))).rows, 'deleting').deleted;
  const updated = first((await query<{ updated: number }>(tx, action('update changed rows'), updateChangedSql(model, table), params)).rows, 'updating').updated;
  const inserted = first((await query<{ inserted: number }>(tx, action('insert new keys'), insertNewSql(model, table), params)).rows, 'inserting').inserted;
  const records_in = staged.rowCount ?? 0;
  return {
    records_in,
    records_inserted: inserted,
    records_updated: updated,
    records_deleted: deleted,
    records_unchanged: records_in - inserted - updated,
  };
}
