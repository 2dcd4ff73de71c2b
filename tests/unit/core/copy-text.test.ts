import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { COPY_NULL, createCopyRowEncoder, encodeCopyValue, escapeCopyText, type CopyEncoding, type CopyValue } from '../../../shared/core/copy-text.ts';

/** What PostgreSQL does with one column of COPY text (the escapes it reads; `\N` alone is null). */
function decodeColumn(text: string): string | null {
  if (text === COPY_NULL) return null;
  return text.replace(/\\(.)/gs, (_match, char: string) => ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v' })[char] ?? char);
}

/** A test title's view of a value (JSON has no bigint, Date or NaN). */
function show(value: CopyValue): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return Object.is(value, -0) ? '-0' : value === undefined ? 'undefined' : JSON.stringify(value);
}

/** Splits one COPY line into its decoded columns, as the server does. */
function decodeLine(line: string): (string | null)[] {
  expect(line.endsWith('\n')).toBe(true);
  return line.slice(0, -1).split('\t').map(decodeColumn);
}

describe('escapeCopyText', () => {
  it.each([
    ['plain text', 'plain text'],
    // the escape character itself is doubled, so no value can read as an escape or as `\N`
    ['back\\slash', 'back\\\\slash'],
    ['\\N', '\\\\N'],
    ['\\.', '\\\\.'],
    // the three characters that end a column or a row
    ['a\tb', 'a\\tb'],
    ['line\nbreak', 'line\\nbreak'],
    ['carriage\rreturn', 'carriage\\rreturn'],
    ['\r\n', '\\r\\n'],
    // other control characters and any Unicode pass through as they are
    ['bell\u0007 é 😀', 'bell\u0007 é 😀'],
    ['', ''],
  ])('writes %j as %j', (input, expected) => {
    expect(escapeCopyText(input)).toBe(expected);
  });

  test.prop([fc.string({ unit: 'binary' })])('any string reads back the same and never ends a column or row', (text) => {
    const escaped = escapeCopyText(text);
    expect(escaped).not.toMatch(/[\t\n\r]/);
    expect(decodeColumn(escaped)).toBe(text);
  });
});

describe('encodeCopyValue', () => {
  const writes: [CopyValue, CopyEncoding, string][] = [
    // null and a missing value are SQL null in every column
    [null, 'plain', '\\N'],
    [undefined, 'json', '\\N'],
    // the string "\N" is text, not null
    ['\\N', 'plain', '\\\\N'],
    [true, 'plain', 't'],
    [false, 'plain', 'f'],
    // numbers as their shortest exact text; PostgreSQL's spellings for the non-finite doubles; -0 kept
    [142, 'plain', '142'],
    [0.1, 'plain', '0.1'],
    [1e21, 'plain', '1e+21'],
    [-0, 'plain', '-0'],
    [Number.NaN, 'plain', 'NaN'],
    [Number.POSITIVE_INFINITY, 'plain', 'Infinity'],
    [Number.NEGATIVE_INFINITY, 'plain', '-Infinity'],
    // exact numerics arrive as strings from coercion and keep every digit
    ['-12.500000000000000000001', 'plain', '-12.500000000000000000001'],
    [9223372036854775807n, 'plain', '9223372036854775807'],
    // timestamps: coercion's text keeps microseconds; a Date (system columns) as ISO in UTC
    ['2026-03-02T09:14:27.118204+01:00', 'plain', '2026-03-02T09:14:27.118204+01:00'],
    [new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), 'plain', '2026-01-02T03:04:05.006Z'],
    // jsonb: JSON text, its backslashes escaped for COPY; a string keeps its quotes
    [{ a: 'x\ny', b: [1, null] }, 'json', '{"a":"x\\\\ny","b":[1,null]}'],
    ['abc', 'json', '"abc"'],
    [12, 'json', '12'],
    [false, 'json', 'false'],
    [[], 'json', '[]'],
  ];
  it.each(writes.map(([value, encoding, expected]) => [show(value), value, encoding, expected] as const))('writes %s in a %s column', (_shown, value, encoding, expected) => {
    expect(encodeCopyValue(value, encoding)).toBe(expected);
  });

  const refusals: [CopyValue, CopyEncoding, string][] = [
    [{ a: 1 }, 'plain', 'a object needs a jsonb column'],
    [[1], 'plain', 'a array needs a jsonb column'],
    [new Date(Number.NaN), 'plain', 'cannot write an invalid Date'],
    [new Date(0), 'json', 'a jsonb column cannot take a Date'],
    [1n, 'json', 'a jsonb column cannot take a bigint'],
  ];
  it.each(refusals.map(([value, encoding, message]) => [show(value), value, encoding, message] as const))('refuses %s in a %s column', (_shown, value, encoding, message) => {
    expect(() => encodeCopyValue(value, encoding)).toThrow(new TypeError(message));
  });

  // JSON null at the top is SQL null (coercion's rule), checked in the table above
  test.prop([fc.jsonValue().filter((value) => value !== null)])('any JSON value in a json column reads back as its JSON text', (value) => {
    const text = decodeColumn(encodeCopyValue(value as CopyValue, 'json'));
    expect(text).toBe(JSON.stringify(value));
  });
});

describe('createCopyRowEncoder', () => {
  it('joins the columns with tabs and ends the row with a newline', () => {
    const encode = createCopyRowEncoder(['plain', 'plain', 'json', 'plain']);
    expect(encode(['a\tb', null, { k: 'v' }, 3])).toBe('a\\tb\t\\N\t{"k":"v"}\t3\n');
  });

  it('refuses a row with another number of values than columns', () => {
    const encode = createCopyRowEncoder(['plain', 'plain']);
    expect(() => encode(['only one'])).toThrow(new TypeError('a COPY row has 1 values for 2 columns'));
  });

  it('refuses a table without columns', () => {
    expect(() => createCopyRowEncoder([])).toThrow(TypeError);
  });

  test.prop([fc.array(fc.option(fc.string({ unit: 'binary' }), { nil: null }), { minLength: 1, maxLength: 8 })])(
    'any row of texts and nulls reads back as the same columns',
    (values) => {
      const encode = createCopyRowEncoder(values.map(() => 'plain'));
      expect(decodeLine(encode(values))).toEqual(values);
    },
  );
});
