/**
 * PostgreSQL's COPY text format (`copy … from stdin`, the default: tab between columns, `\N` for null, a newline
 * after each row), encoded exactly: what goes in is what a `select` reads back. Pure; the adapter
 * (`shared/adapters/postgres/copy-rows.ts`) streams the lines to the server.
 */
import type { JsonValue } from './json.ts';

/** How COPY text spells SQL null. */
export const COPY_NULL = '\\N';

/**
 * How a column's values are written: `json` columns (jsonb) take any JSON value as JSON text, so a string
 * becomes `"abc"` with its quotes; `plain` columns take a scalar as its own text.
 */
export type CopyEncoding = 'json' | 'plain';

/**
 * A value a row may hold: what coercion returns (string, number, boolean, null, a JSON object or array for jsonb),
 * plus what system columns carry (a `Date`, a `bigint`).
 */
export type CopyValue = JsonValue | bigint | Date | undefined;

/** The encoding of each column of a table, by its PostgreSQL type: jsonb columns take JSON text. */
export function copyEncodings(columns: readonly { readonly type: string }[]): CopyEncoding[] {
  return columns.map((column) => (column.type === 'jsonb' ? 'json' : 'plain'));
}

/** Encodes one row (values in column order) as one line of COPY text, newline included (or, for the fields encoder, not). */
export type CopyRowEncoder = (values: readonly CopyValue[]) => string;

// Only these four need escaping for COPY text to read back the same string: backslash (the escape character),
// and the three characters that end a column or a row. Other control characters pass through as is.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * Escapes text for one COPY column: `\` → `\\`, tab → `\t`, newline → `\n`, carriage return → `\r`. A lone `\.`
 * (COPY's end-of-data marker) cannot occur, since its backslash is doubled.
 *
 * @example escapeCopyText('a\tb\\c') // 'a\\tb\\\\c'
 */
export function escapeCopyText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPED, (char) => ESCAPES[char] ?? char) : text;
}

/**
 * Encodes one value for a column: null and undefined → `\N`; booleans → `t`/`f`; numbers as JavaScript's shortest
 * exact text (`NaN`, `Infinity` spelled as PostgreSQL reads them, `-0` kept); bigints and strings as their digits
 * or text (numeric values arrive as exact strings from coercion); dates as ISO 8601 in UTC; any value of a `json`
 * column as JSON text. An object in a `plain` column is a bug upstream and throws a `TypeError`.
 */
export function encodeCopyValue(value: CopyValue, encoding: CopyEncoding): string {
  if (value === null || value === undefined) return COPY_NULL;
  if (encoding === 'json') {
    if (value instanceof Date || typeof value === 'bigint') throw new TypeError(`a jsonb column cannot take a ${describe(value)}`);
    return escapeCopyText(JSON.stringify(value));
  }
  switch (typeof value) {
    case 'string':
      return escapeCopyText(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return value.toString();
    default:
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw new TypeError('cannot write an invalid Date');
        return value.toISOString();
      }
      throw new TypeError(`a ${describe(value)} needs a jsonb column`);
  }
}

/**
 * Builds the encoder of a table's rows, one encoding per column. A row with another number of values than
 * columns throws a `TypeError`: COPY would otherwise shift every later value into the wrong column or fail far away.
 *
 * @example
 * const encode = createCopyRowEncoder(['plain', 'json']);
 * encode(['a\tb', { x: 1 }]) // 'a\\tb\t{"x":1}\n'
 */
export function createCopyRowEncoder(encodings: readonly CopyEncoding[]): CopyRowEncoder {
  const fields = createCopyFieldsEncoder(encodings);
  return (values) => `${fields(values)}\n`;
}

/**
 * The first columns of a row as COPY text, tab-separated, without the newline: for a caller that appends columns
 * of its own (bronze's system columns, the same for a whole batch, encoded once). Same rules and checks as
 * `createCopyRowEncoder`.
 */
export function createCopyFieldsEncoder(encodings: readonly CopyEncoding[]): CopyRowEncoder {
  const count = encodings.length;
  if (count === 0) throw new TypeError('a COPY row needs at least one column');
  return (values) => {
    if (values.length !== count) throw new TypeError(`a COPY row has ${values.length} values for ${count} columns`);
    let line = encodeCopyValue(values[0], encodings[0]!);
    for (let i = 1; i < count; i += 1) line += `\t${encodeCopyValue(values[i], encodings[i]!)}`;
    return line;
  };
}

function encodeNumber(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

function describe(value: object | bigint): string {
  if (typeof value === 'bigint') return 'bigint';
  if (value instanceof Date) return 'Date';
  return Array.isArray(value) ? 'array' : 'object';
}
