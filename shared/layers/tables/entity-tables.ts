/**
 * The bronze and silver tables of a bronze_silver entity, derived from its model and the system columns of
 * `shared/core/table-layout.ts`. Bronze writes and silver reads the same description.
 */
import type { ColumnSpec, EntityModel } from '../../core/entity-model.ts';
import { shortenIdentifier } from '../../core/naming.ts';
import { BRONZE_COLUMN, BRONZE_SCHEMA, BRONZE_SYSTEM_COLUMNS, RETIRED_SILVER_COLUMNS, SILVER_COLUMN, SILVER_SCHEMA, SILVER_SYSTEM_COLUMNS, type SystemColumn } from '../../core/table-layout.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import type { TableColumn, TableSpec } from './table-ddl.ts';

/** Where an entity's tables are: the table name (the entity id unless metadata says `table`). */
export interface EntityTableRef {
  readonly table: string;
  readonly model: EntityModel;
}

function modelColumn(spec: ColumnSpec): TableColumn {
  return { name: spec.name, type: spec.type, nullable: spec.nullable && !spec.key };
}

function systemColumn(spec: SystemColumn): TableColumn {
  return { name: spec.name, type: spec.type, nullable: spec.nullable };
}

/** A derived index or constraint name: `<table>_<suffix>`, shortened to 63 bytes by the naming rule. */
export function derivedName(table: string, suffix: string): string {
  return shortenIdentifier(`${table}_${suffix}`);
}

/**
 * `bronze.<table>`: the model's columns, then the bronze system columns. Append-only, so no key constraint;
 * one index on (`_dp_batch_id`, `_dp_run_id`), the way silver reads a batch.
 */
export function bronzeTableSpec(ref: EntityTableRef, schema: string = BRONZE_SCHEMA): TableSpec {
  return {
    schema,
    table: ref.table,
    columns: [...ref.model.columns.map(modelColumn), ...BRONZE_SYSTEM_COLUMNS.map(systemColumn)],
    meta: { key: ref.model.key },
    indexes: [{ name: derivedName(ref.table, 'batch_idx'), columns: [BRONZE_COLUMN.batch_id, BRONZE_COLUMN.run_id], unique: false }],
    checks: [],
  };
}

/**
 * `silver.<table>`: the model's columns, then the silver system columns, with the invariants the database
 * enforces (docs/silver.md): at most one open version and at most one current row per key (unique partial
 * indexes), a closed version ends after it starts, an open version is current, and a current version that is
 * closed is a deleted one. `hash` is the plan's signature (its SCD split and column types), recorded in the
 * table's comment. The retired fingerprint columns (`RETIRED_SILVER_COLUMNS`) are dropped from an older table.
 */
export function silverTableSpec(ref: EntityTableRef, hash: string, schema: string = SILVER_SCHEMA): TableSpec {
  const key = ref.model.key;
  const validFrom = ident(SILVER_COLUMN.valid_from);
  const validTo = ident(SILVER_COLUMN.valid_to);
  const isCurrent = ident(SILVER_COLUMN.is_current);
  const isDeleted = ident(SILVER_COLUMN.is_deleted);
  return {
    schema,
    table: ref.table,
    columns: [...ref.model.columns.map(modelColumn), ...SILVER_SYSTEM_COLUMNS.map(systemColumn)],
    retiredColumns: RETIRED_SILVER_COLUMNS,
    meta: { key, hash },
    indexes: [
      { name: derivedName(ref.table, 'open_version_key'), columns: key, unique: true, where: `${validTo} is null` },
      { name: derivedName(ref.table, 'current_key'), columns: key, unique: true, where: isCurrent },
      { name: derivedName(ref.table, 'history_idx'), columns: [...key, SILVER_COLUMN.valid_from], unique: false },
    ],
    checks: [
      { name: derivedName(ref.table, 'validity_check'), expression: `${validTo} is null or ${validTo} >= ${validFrom}` },
      { name: derivedName(ref.table, 'open_is_current_check'), expression: `${validTo} is not null or (${isCurrent} and not ${isDeleted})` },
      { name: derivedName(ref.table, 'closed_current_check'), expression: `${validTo} is null or not ${isCurrent} or ${isDeleted}` },
    ],
  };
}
