/**
 * Pure planning for the silver SCD engine (docs/silver.md): which columns form the key, which keep history
 * (SCD2) and which are overwritten (SCD1), how changes are compared, and how each column is encoded for the
 * stored fingerprint hashes (kept for readers; the engine compares columns, not hashes).
 * The SQL builders in `shared/layers/silver/` turn a plan into statements; nothing here touches a database.
 */
import type { ColumnSpec, ColumnType, EntityModel } from './entity-model.ts';
import { InvalidPayloadError } from '../errors.ts';

/** Prefix of the platform's own columns; a model column may not use it (table-layout.ts). */
export const SYSTEM_COLUMN_PREFIX = '_dp_';

/**
 * Version of the hash encoding below. It is part of every plan's signature, so changing an encoding makes the
 * engine recompute the stored hashes once, keeping every version's fingerprint true to its values.
 */
export const HASH_ENCODING_VERSION = 1;

/** What the silver engine needs to know about an entity's columns. */
export interface ScdPlan {
  /** Every model column, in model order (the column list of bronze and silver). */
  readonly columns: readonly ColumnSpec[];
  /** Business key column names, in key order. */
  readonly key: readonly string[];
  /** Non-key columns whose change opens a new version (SCD type 2, the default). */
  readonly scd2: readonly ColumnSpec[];
  /** Non-key columns overwritten on every version of the key (SCD type 1). */
  readonly scd1: readonly ColumnSpec[];
  /**
   * The column that decides which record wins when a batch holds one key twice (greatest value wins, nulls
   * lose); ties, and entities without one, fall back to the greatest `_dp_position`.
   */
  readonly latestBy?: string;
  /** Which incoming records are deletions, with the type of the column that tells (to compare it in SQL). */
  readonly tombstone?: ScdTombstone & { readonly type: ColumnType };
  /** Identifies the hash inputs (encoding version, columns, types, SCD types); stored with the silver table. */
  readonly signature: string;
}

/**
 * An explicit delete: an incoming record whose `column` equals `equals` (Nightscout: `is_valid` = false) closes its
 * key's open version and flags it deleted, in delta and full loads alike; its other values are not written.
 */
export interface ScdTombstone {
  readonly column: string;
  readonly equals: string | number | boolean;
}

/** Options of an entity that shape its plan, beyond its model. */
export interface ScdPlanOptions {
  /** See `ScdPlan.latestBy`. */
  readonly latestBy?: string;
  readonly tombstone?: ScdTombstone;
}

/**
 * Plans the SCD handling of a model: splits its non-key columns by SCD type and checks what the engine relies
 * on (a non-empty key of existing, non-nullable columns; no `_dp_` names; `latestBy` a model column). Key
 * columns are never hashed: a version belongs to exactly one key.
 *
 * @example planScd(model).scd1.map((c) => c.name) // ['email', 'updated_at']
 */
export function planScd(model: EntityModel, options: ScdPlanOptions = {}): ScdPlan {
  const problems: string[] = [];
  const byName = new Map<string, ColumnSpec>();
  for (const spec of model.columns) {
    if (byName.has(spec.name)) problems.push(`column ${spec.name} is declared twice`);
    if (spec.name.startsWith(SYSTEM_COLUMN_PREFIX)) problems.push(`column ${spec.name}: names starting with ${SYSTEM_COLUMN_PREFIX} are reserved for system columns`);
    byName.set(spec.name, spec);
  }
  if (model.key.length === 0) problems.push('the model has no key column; silver needs a business key');
  for (const name of model.key) {
    const spec = byName.get(name);
    if (!spec) problems.push(`key column ${name} is not a column of the model`);
    else if (spec.nullable) problems.push(`key column ${name} is nullable; key columns are never null`);
  }
  if (new Set(model.key).size !== model.key.length) problems.push('the key names a column twice');
  if (options.latestBy !== undefined && !byName.has(options.latestBy)) {
    problems.push(`latest_by column ${options.latestBy} is not a column of the model`);
  }
  const tombstoneColumn = options.tombstone === undefined ? undefined : byName.get(options.tombstone.column);
  if (options.tombstone !== undefined && tombstoneColumn === undefined) {
    problems.push(`tombstone column ${options.tombstone.column} is not a column of the model`);
  } else if (tombstoneColumn?.key === true) {
    problems.push(`tombstone column ${tombstoneColumn.name} is a key column`);
  }
  if (problems.length > 0) {
    throw new InvalidPayloadError(`model ${model.name} cannot be historised in silver`, problems.map((p) => `models › ${model.name}: ${p}`));
  }
  const keys = new Set(model.key);
  const scd2 = model.columns.filter((spec) => !keys.has(spec.name) && spec.scd === 2);
  const scd1 = model.columns.filter((spec) => !keys.has(spec.name) && spec.scd === 1);
  return {
    columns: model.columns,
    key: model.key,
    scd2,
    scd1,
    ...(options.latestBy === undefined ? {} : { latestBy: options.latestBy }),
    ...(options.tombstone === undefined || tombstoneColumn === undefined ? {} : { tombstone: { ...options.tombstone, type: tombstoneColumn.type } }),
    signature: hashSignature(scd2, scd1),
  };
}

function hashSignature(scd2: readonly ColumnSpec[], scd1: readonly ColumnSpec[]): string {
  const list = (specs: readonly ColumnSpec[]): string => specs.map((spec) => `${spec.name}:${spec.type}`).join(',');
  return `v${HASH_ENCODING_VERSION};scd2=${list(scd2)};scd1=${list(scd1)}`;
}

/**
 * The canonical, typed encoding of one column for the fingerprint hashes: an SQL expression over `ref` (an already
 * quoted column reference) whose text output does not depend on session settings (TimeZone, DateStyle,
 * extra_float_digits, bytea_output) and is equal exactly when the values are equal as `changedExpression`
 * compares them: numeric ignores trailing zeros (1.50 = 1.5), timestamps and dates become exact epoch seconds, a
 * double its 8 bytes in hex (after `+ 0`, so -0 equals 0), jsonb its normalised text (jsonb numbers keep their
 * trailing zeros there, unlike in `changedExpression`). Null stays null; the row encoding (`hashExpression`) keeps it
 * apart from every value.
 */
export function encodeForHash(type: ColumnType | 'uuid', ref: string): string {
  switch (type) {
    case 'text':
    case 'integer':
    case 'bigint':
    case 'boolean':
    case 'uuid':
      return ref;
    case 'numeric':
      return `trim_scale(${ref})`;
    case 'double':
      return `encode(float8send(${ref} + 0), 'hex')`;
    case 'timestamptz':
    case 'date':
      return `extract(epoch from ${ref})`;
    case 'jsonb':
      return `${ref}::text`;
  }
}

/**
 * The hash of a set of columns as one SQL expression: md5 over the text of a row of their encodings. A row's
 * text writes SQL null as nothing (`(a,,c)`), the empty string as `""`, and quotes any value holding a
 * delimiter, so different inputs never share a text: the hash is null-safe, never null itself, and a plain
 * `<>` between two hashes tells versions apart. `ref` quotes a column name into a reference (`incoming."x"`).
 *
 * @example hashExpression(plan.scd2, (name) => `incoming.${ident(name)}`)
 */
export function hashExpression(columns: readonly Pick<ColumnSpec, 'name' | 'type'>[], ref: (name: string) => string): string {
  const parts = columns.map((spec) => encodeForHash(spec.type, ref(spec.name)));
  return `md5(row(${parts.join(', ')})::text)`;
}

/**
 * Whether any of `columns` differs between two rows, as one SQL condition: `a is distinct from b or …`, which is
 * null-safe (null equals null, null differs from every value) and never null, and compares by value as the hash
 * encoding does (1.50 = 1.5, -0 = 0, instants not texts). Plain comparisons, no per-row function: this is what
 * the engine's hot path uses to find changes. `false` for no columns.
 *
 * @example changedExpression(plan.scd2, (n) => `existing.${ident(n)}`, (n) => `incoming.${ident(n)}`)
 */
export function changedExpression(
  columns: readonly Pick<ColumnSpec, 'name'>[],
  left: (name: string) => string,
  right: (name: string) => string,
): string {
  if (columns.length === 0) return 'false';
  return `(${columns.map((spec) => `${left(spec.name)} is distinct from ${right(spec.name)}`).join(' or ')})`;
}
