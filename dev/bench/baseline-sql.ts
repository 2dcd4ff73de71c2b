/**
 * The hand-written SQL a person would write for the silver layer's job, without the engine's machinery (no
 * staging table, no duplicate handling, no replay bookkeeping): the canonical SCD2 statement pair
 * (`update … from` closing changed versions and overwriting SCD1 columns, then `insert … select` opening new
 * ones), plus the close of absent keys a full load needs. Its table is the silver table exactly as the platform
 * derives it (columns, indexes and checks), so the comparison is the engine's overhead, not a lighter table.
 */
import type { EntityModel } from '../../shared/core/entity-model.ts';
import { ident, keyMatch, qualified } from '../../shared/adapters/postgres/sql.ts';
import { createTableSql, type TableSpec } from '../../shared/layers/tables/table-ddl.ts';
import { silverTableSpec } from '../../shared/layers/tables/entity-tables.ts';
import { BRONZE_SCHEMA } from '../../shared/core/table-layout.ts';

/** Schema of the baseline's silver tables. */
export const BASELINE_SCD_SCHEMA = 'bench_scd';
/** Schema of the COPY baseline's copies of the bronze tables. */
export const BASELINE_COPY_SCHEMA = 'bench_copy';

/** The baseline's silver table for an entity: the silver table as the platform derives it. */
export function baselineSilverSpec(table: string, model: EntityModel): TableSpec {
  return silverTableSpec({ table, model }, 'baseline', BASELINE_SCD_SCHEMA);
}

/** The statements creating the baseline's silver table. */
export function createBaselineSilverSql(table: string, model: EntityModel): string[] {
  return [`create schema if not exists ${ident(BASELINE_SCD_SCHEMA)}`, ...createTableSql(baselineSilverSpec(table, model))];
}

interface Columns {
  readonly key: string[];
  readonly scd1: string[];
  readonly scd2: string[];
  readonly all: string[];
}

function columnsOf(model: EntityModel): Columns {
  const plain = model.columns.filter((column) => !column.key);
  return {
    key: [...model.key],
    scd1: plain.filter((column) => column.scd === 1).map((column) => column.name),
    scd2: plain.filter((column) => column.scd === 2).map((column) => column.name),
    all: model.columns.map((column) => column.name),
  };
}

const list = (names: readonly string[], alias: string): string => names.map((name) => `${alias}.${ident(name)}`).join(', ');
/** `(a.x, a.y) is distinct from (b.x, b.y)`, or `false` for no columns. */
const differs = (names: readonly string[], left: string, right: string): string =>
  names.length === 0 ? 'false' : `(${list(names, left)}) is distinct from (${list(names, right)})`;

/**
 * The SCD2 update: for each open version whose key is in the batch and whose values changed, overwrite the SCD1
 * columns and, when an SCD2 column changed, close it. Parameters: $1 batch_id, $2 batch_timestamp.
 */
export function baselineUpdateSql(table: string, model: EntityModel): string {
  const columns = columnsOf(model);
  const scd2Changed = differs(columns.scd2, 'existing', 'incoming');
  const assignments = [
    ...columns.scd1.map((name) => `${ident(name)} = incoming.${ident(name)}`),
    `"_dp_valid_to" = case when ${scd2Changed} then $2::timestamptz end`,
    `"_dp_is_current" = not (${scd2Changed})`,
    '"_dp_updated_batch_id" = $1::uuid',
  ];
  return `
update ${qualified(BASELINE_SCD_SCHEMA, table)} as existing
   set ${assignments.join(',\n       ')}
  from ${qualified(BRONZE_SCHEMA, table)} as incoming
 where incoming."_dp_batch_id" = $1::uuid
   and ${keyMatch(columns.key, 'existing', 'incoming')}
   and existing."_dp_valid_to" is null
   and (${scd2Changed} or ${differs(columns.scd1, 'existing', 'incoming')})`;
}

/** Full loads: close, as deleted, every open version whose key the batch does not hold. Parameters as above. */
export function baselineCloseAbsentSql(table: string, model: EntityModel): string {
  const columns = columnsOf(model);
  return `
update ${qualified(BASELINE_SCD_SCHEMA, table)} as existing
   set "_dp_valid_to" = $2::timestamptz,
       "_dp_is_deleted" = true,
       "_dp_updated_batch_id" = $1::uuid
 where existing."_dp_valid_to" is null
   and not exists (
     select 1
       from ${qualified(BRONZE_SCHEMA, table)} as incoming
      where incoming."_dp_batch_id" = $1::uuid
        and ${keyMatch(columns.key, 'existing', 'incoming')}
   )`;
}

/** The SCD2 insert: a new open version for every batch row whose key has none (new, or just closed). Parameters as above. */
export function baselineInsertSql(table: string, model: EntityModel): string {
  const columns = columnsOf(model);
  const target = [...columns.all, '_dp_valid_from', '_dp_valid_to', '_dp_is_current', '_dp_is_deleted', '_dp_batch_id', '_dp_call_id'];
  return `
insert into ${qualified(BASELINE_SCD_SCHEMA, table)} (${target.map(ident).join(', ')})
select ${list(columns.all, 'incoming')},
       $2::timestamptz,
       null,
       true,
       false,
       $1::uuid,
       'bench-baseline'
  from ${qualified(BRONZE_SCHEMA, table)} as incoming
 where incoming."_dp_batch_id" = $1::uuid
   and not exists (
     select 1
       from ${qualified(BASELINE_SCD_SCHEMA, table)} as existing
      where ${keyMatch(columns.key, 'existing', 'incoming')}
        and existing."_dp_valid_to" is null
   )`;
}

/** What a silver table holds, summed up: versions, open versions, deleted keys, current rows. */
export function silverSummarySql(schema: string, table: string): string {
  return `
select count(*)::int as versions,
       count(*) filter (where "_dp_valid_to" is null)::int as open,
       count(*) filter (where "_dp_is_deleted")::int as deleted,
       count(*) filter (where "_dp_is_current")::int as current
  from ${qualified(schema, table)}`;
}
