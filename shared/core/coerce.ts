/**
 * Coercion of landed JSON values to a column's type (rules table: `docs/processors/README.md`). Results are plain JS values (string, number, boolean, null, or a JSON object/array
 * for jsonb); the PostgreSQL COPY encoding is the adapter's job. Bronze's hot path: no throw, and no allocation per
 * value beyond the value itself.
 */
import { epochMillisToTimestamp, isKnownTimeZone, parseDate, parseTimestamp } from './coerce-time.ts';
import type { ColumnSpec, ColumnType, EntityModel } from './entity-model.ts';
import { ConfigurationError } from '../errors.ts';
import type { JsonValue } from './json.ts';

/** A coerced value, ready for an adapter to encode. jsonb values stay objects/arrays/scalars. */
export type CellValue = JsonValue;

/** The outcome of coercing one value. */
export type CoerceResult = { readonly ok: true; readonly value: CellValue } | { readonly ok: false; readonly reason: string };

/** Settings of coercion. */
export interface CoerceOptions {
  /** IANA zone for timestamps without an offset (bunq's `2026-03-02 09:14:27.118204`). Default `UTC`. */
  readonly timeZone?: string;
}

/** One value that could not be coerced, with where it was. Never dropped: the bronze run fails and lists these. */
export interface CoercionIssue {
  readonly entity: string;
  /** Position of the landing record in its batch. */
  readonly position: number;
  readonly column: string;
  /** The source path of the column (its `source`, else its name). */
  readonly path: string;
  /** The value as JSON text, cut to 80 characters. */
  readonly value: string;
  readonly reason: string;
}

/** A row keyed by model column names, as the processors return it. */
export type SourceRow = Readonly<Record<string, JsonValue | undefined>>;

/** Coerces one row into an array of values in model column order, appending any issues to `issues`. */
export type RowCoercer = (row: SourceRow, position: number, issues: CoercionIssue[]) => CellValue[];

// A failure is the only allocation: a success returns the value itself.
class Failure {
  constructor(readonly reason: string) {}
}
type Coercer = (value: JsonValue, timeZone: string) => CellValue | Failure;

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;
const INT8_MIN = -9_223_372_036_854_775_808n;
const INT8_MAX = 9_223_372_036_854_775_807n;

/**
 * Coerces one JSON value to a column type; `null` and a missing value give `null`.
 *
 * @example coerceValue('-12.50', 'numeric') // { ok: true, value: '-12.50' }
 */
export function coerceValue(value: JsonValue | undefined, type: ColumnType, options: CoerceOptions = {}): CoerceResult {
  if (value === null || value === undefined) return { ok: true, value: null };
  const result = COERCERS[type](value, zoneOf(options));
  return result instanceof Failure ? { ok: false, reason: result.reason } : { ok: true, value: result };
}

/**
 * Builds the coercer for one entity's rows: a missing or null value in a non-nullable (or key) column is an issue,
 * and so is every value its column's type cannot take.
 */
export function createRowCoercer(model: EntityModel, entity: string, options: CoerceOptions = {}): RowCoercer {
  const timeZone = zoneOf(options);
  const keys = new Set(model.key);
  const columns = model.columns.map((column: ColumnSpec) => ({
    name: column.name,
    path: typeof column.source === 'object' ? column.source.join(' | ') : (column.source ?? column.name),
    type: column.type,
    coerce: COERCERS[column.type],
    required: !column.nullable || column.key || keys.has(column.name),
  }));
  return (row, position, issues) => {
    const values = new Array<CellValue>(columns.length);
    for (let i = 0; i < columns.length; i += 1) {
      const column = columns[i]!;
      const value = row[column.name];
      if (value === null || value === undefined) {
        values[i] = null;
        if (column.required) issues.push(issue(entity, position, column, value, 'missing value for a non-nullable column'));
        continue;
      }
      const result = column.coerce(value, timeZone);
      if (result instanceof Failure) {
        values[i] = null;
        issues.push(issue(entity, position, column, value, result.reason));
      } else {
        values[i] = result;
      }
    }
    return values;
  };
}

/** Coerces one row (model column order); the simple form of `createRowCoercer` for tests and small batches. */
export function coerceRow(
  row: SourceRow,
  model: EntityModel,
  where: { readonly entity: string; readonly position: number },
  options: CoerceOptions = {},
): { values: CellValue[]; issues: CoercionIssue[] } {
  const issues: CoercionIssue[] = [];
  const values = createRowCoercer(model, where.entity, options)(row, where.position, issues);
  return { values, issues };
}

/** The issue as one line: `entity bunq_payment, record 17, amount.value: cannot coerce "12,50" to numeric`. */
export function formatCoercionIssue(found: CoercionIssue): string {
  return `entity ${found.entity}, record ${found.position}, ${found.path}: ${found.reason}`;
}

const COERCERS: Readonly<Record<ColumnType, Coercer>> = {
  text(value) {
    if (typeof value === 'string') return checkText(value) ?? value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return cannot(value, 'text', 'an object or array needs a jsonb column');
  },
  integer(value) {
    const number = toInteger(value);
    if (number === undefined) return cannot(value, 'integer');
    if (number < INT4_MIN || number > INT4_MAX) return cannot(value, 'integer', 'out of range');
    return number;
  },
  bigint(value) {
    if (typeof value === 'number') {
      if (Number.isSafeInteger(value)) return value;
      return cannot(value, 'bigint', Number.isInteger(value) ? 'beyond 2^53, so JSON already lost digits' : undefined);
    }
    if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) return cannot(value, 'bigint');
    const number = Number(value);
    if (Number.isSafeInteger(number)) return number;
    const exact = BigInt(value);
    // Beyond 2^53 the digits stay a string, so none is lost on the way to PostgreSQL.
    return exact < INT8_MIN || exact > INT8_MAX ? cannot(value, 'bigint', 'out of range') : exact.toString();
  },
  numeric(value) {
    if (typeof value === 'string') return DECIMAL_TEXT.test(value) ? value : cannot(value, 'numeric');
    if (typeof value === 'number') return String(value); // JSON's own digits: the shortest text for this double
    return cannot(value, 'numeric');
  },
  double(value) {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && DECIMAL_TEXT.test(value)) {
      const number = Number(value);
      return Number.isFinite(number) ? number : cannot(value, 'double', 'out of range');
    }
    return cannot(value, 'double');
  },
  boolean(value) {
    if (typeof value === 'boolean') return value;
    if (value === 1 || value === 0) return value === 1;
    if (typeof value === 'string') {
      const text = value.toLowerCase();
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
    }
    return cannot(value, 'boolean');
  },
  timestamptz(value, timeZone) {
    const parsed =
      typeof value === 'string' ? parseTimestamp(value, timeZone) : typeof value === 'number' ? epochMillisToTimestamp(value) : undefined;
    return parsed ?? cannot(value, 'timestamptz');
  },
  date(value) {
    return (typeof value === 'string' ? parseDate(value) : undefined) ?? cannot(value, 'date');
  },
  jsonb(value) {
    const reason = checkJson(value);
    return reason === undefined ? value : new Failure(`cannot store ${preview(value)} as jsonb: ${reason}`);
  },
};

function toInteger(value: JsonValue): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && INTEGER_TEXT.test(value)) return Number(value);
  return undefined;
}

// PostgreSQL text cannot hold NUL, and a lone surrogate has no UTF-8 form.
function checkText(text: string): Failure | undefined {
  if (text.includes('\u0000')) return new Failure(`cannot store ${preview(text)} as text: it contains a NUL character`);
  if (SURROGATE.test(text) && LONE_SURROGATE.test(text)) {
    return new Failure(`cannot store ${preview(text)} as text: it is not well-formed Unicode`);
  }
  return undefined;
}

function checkJson(value: JsonValue): string | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'a string contains a NUL character';
    return SURROGATE.test(value) && LONE_SURROGATE.test(value) ? 'a string is not well-formed Unicode' : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const reason = checkJson(item);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const reason = checkJson(key) ?? checkJson(value[key] as JsonValue);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function cannot(value: JsonValue, type: ColumnType, detail?: string): Failure {
  return new Failure(`cannot coerce ${preview(value)} to ${type}${detail === undefined ? '' : `: ${detail}`}`);
}

function issue(
  entity: string,
  position: number,
  column: { readonly name: string; readonly path: string },
  value: JsonValue | undefined,
  reason: string,
): CoercionIssue {
  return { entity, position, column: column.name, path: column.path, value: value === undefined ? 'undefined' : preview(value), reason };
}

function preview(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function zoneOf(options: CoerceOptions): string {
  const zone = options.timeZone ?? 'UTC';
  if (!isKnownTimeZone(zone)) throw new ConfigurationError(`unknown time zone "${zone}" for naive timestamps`);
  return zone;
}
