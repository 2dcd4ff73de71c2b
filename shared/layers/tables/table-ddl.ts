/**
 * DDL for the tables the platform derives from entity models (bronze and silver): a plain description of a
 * table (`TableSpec`) and the statements that create it or add a column to it. Names go through `ident()`.
 */
import type { ColumnType } from '../../core/entity-model.ts';
import { ident, qualified } from '../../adapters/postgres/sql.ts';

/** A column of a derived table: a model column or a system column. */
export interface TableColumn {
  readonly name: string;
  readonly type: ColumnType | 'uuid';
  readonly nullable: boolean;
}

/** An index of a derived table; `where` is an SQL predicate over quoted column names (a partial index). */
export interface TableIndex {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly where?: string;
}

/** A check constraint; `expression` is SQL over quoted column names. */
export interface TableCheck {
  readonly name: string;
  readonly expression: string;
}

/**
 * What the platform records about a table in its comment (JSON), so a later model can be compared with what the
 * table was built for: the business key (a change is refused) and, for silver, the hash signature.
 */
export interface TableMeta {
  readonly key: readonly string[];
  readonly hash?: string;
}

/** A derived table: where it lives, its columns in order, its key, indexes and checks. */
export interface TableSpec {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly TableColumn[];
  /**
   * System columns the platform once added and no longer keeps: dropped from an existing table that still has
   * them (never a model column; a model column cannot carry the `_dp_` prefix). Empty when none.
   */
  readonly retiredColumns?: readonly string[];
  readonly meta: TableMeta;
  readonly indexes: readonly TableIndex[];
  readonly checks: readonly TableCheck[];
}

const SQL_TYPES: Record<TableColumn['type'], string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  double: 'double precision',
  boolean: 'boolean',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  jsonb: 'jsonb',
  uuid: 'uuid',
};

/** The PostgreSQL type of a column type, spelled as `format_type()` reports it, so catalog rows compare as text. */
export function sqlType(type: TableColumn['type']): string {
  return SQL_TYPES[type];
}

/** The table comment that records `meta` (read back by `parseTableMeta`). */
export function tableComment(meta: TableMeta): string {
  return JSON.stringify({ dataplatform: meta });
}

/** Reads the platform's facts back from a table comment; undefined for a table without (or with a foreign) comment. */
export function parseTableMeta(comment: string | null | undefined): TableMeta | undefined {
  if (!comment) return undefined;
  try {
    const parsed = JSON.parse(comment) as { dataplatform?: { key?: unknown; hash?: unknown } };
    const meta = parsed.dataplatform;
    if (!meta || !Array.isArray(meta.key) || !meta.key.every((name) => typeof name === 'string')) return undefined;
    return { key: meta.key as string[], ...(typeof meta.hash === 'string' ? { hash: meta.hash } : {}) };
  } catch {
    return undefined;
  }
}

function columnDefinition(column: TableColumn, enforceNotNull: boolean): string {
  return `${ident(column.name)} ${sqlType(column.type)}${enforceNotNull && !column.nullable ? ' not null' : ''}`;
}

/** `create index if not exists …` for one index of the table. */
export function createIndexSql(spec: TableSpec, index: TableIndex): string {
  return [
    `create ${index.unique ? 'unique ' : ''}index if not exists ${ident(index.name)}`,
    `  on ${qualified(spec.schema, spec.table)} (${index.columns.map(ident).join(', ')})`,
    ...(index.where === undefined ? [] : [`  where ${index.where}`]),
  ].join('\n');
}

/** `comment on table …` recording the table's meta; the comment is a literal, since DDL takes no parameters. */
export function commentTableSql(spec: TableSpec): string {
  const text = tableComment(spec.meta).replaceAll("'", "''");
  return `comment on table ${qualified(spec.schema, spec.table)} is '${text}'`;
}

/**
 * The statements that create the table as described, with its checks, indexes and comment. Each is safe to
 * run again (`if not exists`), but `ensureTable` only runs them for a table that is missing.
 */
export function createTableSql(spec: TableSpec): string[] {
  const lines = [
    ...spec.columns.map((column) => columnDefinition(column, true)),
    ...spec.checks.map((check) => `constraint ${ident(check.name)} check (${check.expression})`),
  ];
  return [
    `create table if not exists ${qualified(spec.schema, spec.table)} (\n  ${lines.join(',\n  ')}\n)`,
    ...spec.indexes.map((index) => createIndexSql(spec, index)),
    commentTableSql(spec),
  ];
}

/**
 * Adds a column to an existing table. Always nullable there: the rows already in the table have no value for
 * it, and bronze's coercion enforces the model's nullability on new rows.
 */
export function addColumnSql(spec: TableSpec, column: TableColumn): string {
  return `alter table ${qualified(spec.schema, spec.table)} add column if not exists ${columnDefinition(column, false)}`;
}

/** Lets a column take nulls again (the model dropped it or made it nullable): new rows have no value for it. */
export function dropNotNullSql(spec: TableSpec, column: string): string {
  return `alter table ${qualified(spec.schema, spec.table)} alter column ${ident(column)} drop not null`;
}

/** Drops a retired system column (`TableSpec.retiredColumns`); `if exists` makes it a no-op once it is gone. */
export function dropRetiredColumnSql(spec: TableSpec, column: string): string {
  return `alter table ${qualified(spec.schema, spec.table)} drop column if exists ${ident(column)}`;
}
