/**
 * Silver as the platform holds it, against the state the test-data generator expects (docs/test-system.md,
 * "Expected state"): both in one comparable form, matched version by version, every difference named by key,
 * version and column. The TST01 canary fails a silver run on any difference; the tests compare the same way.
 */
import type { ColumnType, EntityModel } from './entity-model.ts';
import { SILVER_COLUMN } from './table-layout.ts';

/** The silver columns the expected state holds besides the model's, in its order; validity as batch folder names. */
export const STATE_COLUMNS = [SILVER_COLUMN.valid_from, SILVER_COLUMN.valid_to, SILVER_COLUMN.is_current, SILVER_COLUMN.is_deleted] as const;

/** A silver row: the model's columns, then `STATE_COLUMNS` with validity as batch labels (`batch-0003`, null: open). */
export type StateRow = Readonly<Record<string, unknown>>;

/** One way silver differs from the expected state. */
export interface StateDifference {
  /** The business key, as `id=C0003` or `customer_id=C0001, order_id=O-1`. */
  readonly key: string;
  /** The batch the version opened in (`_dp_valid_from`). */
  readonly version: string;
  /** A column that differs (absent: the whole version is missing or unexpected). */
  readonly column?: string;
  readonly actual?: unknown;
  readonly expected?: unknown;
  /** In words: `id=C0003, version from batch-0001: tier is "silver", expected "gold"`. */
  readonly message: string;
}

/**
 * A row in the comparable form: values as the expected state writes them and compared by value (numerics without
 * trailing zeros, `12.50` = `12.5`; timestamps as ISO instants; bigints as text; dates as `YYYY-MM-DD`), then the
 * state columns as they are.
 */
export function comparableStateRow(model: EntityModel, row: StateRow): StateRow {
  const values: Record<string, unknown> = {};
  for (const column of model.columns) values[column.name] = comparableValue(row[column.name], column.type);
  for (const name of STATE_COLUMNS) values[name] = row[name] ?? null;
  return values;
}

/**
 * Every difference between the actual and the expected rows of one entity, in key order: versions (a key and the
 * batch it opened in) that are missing, unexpected or there twice, and per matching version each model column and
 * state column whose comparable values differ. Empty when silver is exactly as expected.
 */
export function diffSilverState(model: EntityModel, actual: readonly StateRow[], expected: readonly StateRow[]): StateDifference[] {
  const byVersion = (rows: readonly StateRow[]): Map<string, { key: string; version: string; rows: StateRow[] }> => {
    const versions = new Map<string, { key: string; version: string; rows: StateRow[] }>();
    for (const raw of rows) {
      const row = comparableStateRow(model, raw);
      const key = model.key.map((name) => `${name}=${String(row[name])}`).join(', ');
      const version = String(row[SILVER_COLUMN.valid_from]);
      const id = JSON.stringify([...model.key.map((name) => row[name]), version]);
      const found = versions.get(id);
      if (found) found.rows.push(row);
      else versions.set(id, { key, version, rows: [row] });
    }
    return versions;
  };
  const actualVersions = byVersion(actual);
  const expectedVersions = byVersion(expected);
  const differences: Array<StateDifference & { readonly order: string }> = [];
  const add = (id: string, difference: Omit<StateDifference, 'message'>, what: string): void => {
    differences.push({ ...difference, order: id, message: `${difference.key}, version from ${difference.version}: ${what}` });
  };
  for (const [id, wanted] of expectedVersions) {
    const { key, version } = wanted;
    const found = actualVersions.get(id);
    if (!found) {
      add(id, { key, version }, 'missing');
      continue;
    }
    if (found.rows.length > 1) add(id, { key, version }, `there ${found.rows.length} times, expected once`);
    const [have, want] = [found.rows[0] as StateRow, wanted.rows[0] as StateRow];
    for (const column of [...model.columns.map((spec) => spec.name), ...STATE_COLUMNS]) {
      if (JSON.stringify(have[column]) === JSON.stringify(want[column])) continue;
      add(id, { key, version, column, actual: have[column], expected: want[column] }, `${column} is ${show(have[column])}, expected ${show(want[column])}`);
    }
  }
  for (const [id, extra] of actualVersions) {
    if (!expectedVersions.has(id)) add(id, { key: extra.key, version: extra.version }, 'not expected');
  }
  return differences.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0)).map(({ order: _order, ...difference }) => difference);
}

function show(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

function comparableValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'numeric':
      return canonicalNumeric(String(value));
    case 'timestamptz':
      return instant(value);
    case 'bigint':
      return String(value);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'double':
    case 'integer':
      return Number(value);
    default:
      return value;
  }
}

/** An ISO instant; text that is not a time stays as it is (and so differs visibly). */
function instant(value: unknown): unknown {
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** `12.50` → `12.5`, `3.00` → `3`, `-0.0` → `0`: numerics compare by value, as the oracle's rules say. */
function canonicalNumeric(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d*?))?0*$/.exec(text.trim());
  if (!match) return text;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const digits = whole.replace(/^0+(?=\d)/, '');
  const isZero = /^0*$/.test(digits) && fraction === '';
  return `${isZero ? '' : sign}${digits}${fraction === '' ? '' : `.${fraction}`}`;
}
