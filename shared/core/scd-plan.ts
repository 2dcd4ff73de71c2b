/**
 * Pure planning for the silver SCD engine (docs/silver.md): which columns form the key, which keep history
 * (SCD2) and which are overwritten (SCD1), and how changes are compared (column by column; versions carry no
 * stored fingerprint hashes).
 * The SQL builders in `shared/layers/silver/` turn a plan into statements; nothing here touches a database.
 */
import type { ColumnSpec, ColumnType, EntityModel } from './entity-model.ts';
import { InvalidPayloadError } from '../errors.ts';

/** Prefix of the platform's own columns; a model column may not use it (table-layout.ts). */
export const SYSTEM_COLUMN_PREFIX = '_dp_';

/**
 * Leads every plan's signature. It was the version of the fingerprint hashes' encoding, which are gone; it stays
 * 1 so the signatures recorded in existing silver tables' comments still match.
 */
const SIGNATURE_VERSION = 1;

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
  /** Identifies the SCD layout (non-key columns, their types and SCD types); recorded in the silver table's comment. */
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
 * columns are never compared for change: a version belongs to exactly one key.
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
  return `v${SIGNATURE_VERSION};scd2=${list(scd2)};scd1=${list(scd1)}`;
}

/**
 * Whether any of `columns` differs between two rows, as one SQL condition: `a is distinct from b or …`, which is
 * null-safe (null equals null, null differs from every value) and never null, and compares by value
 * (1.50 = 1.5, -0 = 0, instants not texts). Plain comparisons, no per-row function: this is what
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
