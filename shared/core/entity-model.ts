/**
 * The plain description of an entity model that every layer works from. The zod models in `metadata/models/`
 * are the single source; `shared/metadata/` turns them into this shape, so pure code never touches zod.
 */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'numeric' | 'double' | 'boolean' | 'timestamptz' | 'date' | 'jsonb';

/** SCD type of a column in silver: 2 keeps history (the default), 1 overwrites in place. */
export type ScdType = 1 | 2;

export interface ColumnSpec {
  /** Column name in bronze and silver (snake_case, ≤ 63 bytes). */
  readonly name: string;
  readonly type: ColumnType;
  /** Part of the business key (never null). */
  readonly key: boolean;
  readonly scd: ScdType;
  readonly nullable: boolean;
  /**
   * Where the value comes from in the processor's flattened record, when it is not `name` itself; a list names
   * alternatives, the first with a value wins (a field one API version names differently: `['identifier', '_id']`).
   */
  readonly source?: string | readonly string[];
  readonly description?: string;
}

export interface EntityModel {
  /** Model name, as `entities.json` refers to it. */
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Business key column names, in order. */
  readonly key: readonly string[];
}
