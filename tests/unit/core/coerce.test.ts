import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { coerceRow, coerceValue, createRowCoercer, formatCoercionIssue, type CoercionIssue } from '../../../shared/core/coerce.ts';
import type { ColumnType, EntityModel } from '../../../shared/core/entity-model.ts';
import { ConfigurationError } from '../../../shared/errors.ts';
import type { JsonValue } from '../../../shared/core/json.ts';

const ok = (value: JsonValue) => ({ ok: true, value });
const fails = expect.objectContaining({ ok: false });

describe('coerceValue', () => {
  it.each<[ColumnType, JsonValue | undefined, unknown]>([
    // null and a missing value are SQL NULL for every type
    ['integer', null, ok(null)],
    ['jsonb', undefined, ok(null)],
    // text takes strings, and numbers/booleans as their JSON text (Nightscout's glucose is either)
    ['text', 'Order 77', ok('Order 77')],
    ['text', 142, ok('142')],
    ['text', 0.1, ok('0.1')],
    ['text', true, ok('true')],
    ['text', { a: 1 }, fails],
    ['text', ['x'], fails],
    ['text', 'nul\u0000byte', fails],
    ['text', 'lone \uD800 surrogate', fails],
    ['text', 'pair 😀 ok', ok('pair 😀 ok')],
    // integer: whole numbers and digit strings within int4; never rounds
    ['integer', 142, ok(142)],
    ['integer', '142', ok(142)],
    ['integer', '-7', ok(-7)],
    ['integer', 142.5, fails],
    ['integer', '142.0', fails],
    ['integer', '1e3', fails],
    ['integer', 2147483648, fails],
    ['integer', true, fails],
    // bigint: safe integers as numbers, larger digit strings kept as exact strings
    ['bigint', 1773853500000, ok(1773853500000)],
    ['bigint', '4200017', ok(4200017)],
    ['bigint', '9223372036854775807', ok('9223372036854775807')],
    ['bigint', '9223372036854775808', fails],
    ['bigint', 2 ** 60, fails],
    // numeric: decimal text kept exactly as written (bunq amounts); numbers as their shortest JSON text
    ['numeric', '-12.50', ok('-12.50')],
    ['numeric', '1520.33', ok('1520.33')],
    ['numeric', '1e-3', ok('1e-3')],
    ['numeric', 0.1, ok('0.1')],
    ['numeric', 112.5, ok('112.5')],
    ['numeric', '12,50', fails],
    ['numeric', 'NaN', fails],
    ['numeric', '', fails],
    // double: numbers, and decimal text
    ['double', 52.37, ok(52.37)],
    ['double', '4.89', ok(4.89)],
    ['double', '1e400', fails],
    ['double', 'abc', fails],
    // boolean: true/false (any case), 1/0 as number or text; nothing else
    ['boolean', false, ok(false)],
    ['boolean', 'TRUE', ok(true)],
    ['boolean', 'false', ok(false)],
    ['boolean', 1, ok(true)],
    ['boolean', '0', ok(false)],
    ['boolean', 'yes', fails],
    ['boolean', 2, fails],
    // date: a valid calendar date only
    ['date', '2026-03-02', ok('2026-03-02')],
    ['date', '2024-02-29', ok('2024-02-29')],
    ['date', '2026-02-29', fails],
    ['date', '2026-03-02T00:00:00Z', fails],
    ['date', 1772323200000, fails],
    // jsonb: any JSON value as is (PostgreSQL refuses NUL in jsonb strings)
    ['jsonb', [{ time: '00:00', value: 1.8 }], ok([{ time: '00:00', value: 1.8 }])],
    ['jsonb', 'text', ok('text')],
    ['jsonb', { a: ['nul\u0000'] }, fails],
  ])('coerces to %s: %j', (type, value, expected) => {
    expect(coerceValue(value, type)).toEqual(expected);
  });

  it.each<[string, JsonValue, string | undefined, string]>([
    // an offset or Z is kept as an offset (Z becomes +00:00)
    ['an ISO string with Z', '2026-03-18T17:05:00.000Z', undefined, '2026-03-18T17:05:00.000+00:00'],
    ['an ISO string with an offset', '2015-08-27T06:30:00-07:00', undefined, '2015-08-27T06:30:00-07:00'],
    ['a compact offset', '2026-03-18T17:05:00+0100', undefined, '2026-03-18T17:05:00+01:00'],
    ['an hour-only offset', '2026-03-18T17:05:00+01', undefined, '2026-03-18T17:05:00+01:00'],
    ['minutes only', '2026-03-18T17:05Z', undefined, '2026-03-18T17:05:00+00:00'],
    // bunq's naive timestamp: read in UTC by default, microseconds kept
    ['a naive bunq timestamp', '2026-03-02 09:14:27.118204', undefined, '2026-03-02T09:14:27.118204+00:00'],
    ['a naive timestamp in a zone', '2026-03-02 09:14:27.118204', 'Europe/Amsterdam', '2026-03-02T09:14:27.118204+01:00'],
    ['a naive summer timestamp in a zone', '2026-07-02 09:14:27', 'Europe/Amsterdam', '2026-07-02T09:14:27+02:00'],
    // clocks go back: the repeated hour is read as the later instant (standard time)
    ['the repeated hour', '2026-10-25 02:30:00', 'Europe/Amsterdam', '2026-10-25T02:30:00+01:00'],
    // clocks go forward: the skipped hour takes the offset from before the jump (so 02:30 is 03:30 CEST)
    ['the skipped hour', '2026-03-29 02:30:00', 'Europe/Amsterdam', '2026-03-29T02:30:00+01:00'],
    ['the hour after the jump', '2026-03-29 03:30:00', 'Europe/Amsterdam', '2026-03-29T03:30:00+02:00'],
    // a date alone is its midnight
    ['a date alone', '2026-03-02', undefined, '2026-03-02T00:00:00+00:00'],
    // epoch milliseconds (Nightscout's date, mills) are UTC
    ['epoch milliseconds', 1773853500000, undefined, '2026-03-18T17:05:00.000+00:00'],
    ['fractional epoch milliseconds', 1773853500000.25, undefined, '2026-03-18T17:05:00.000250+00:00'],
  ])('coerces %s to timestamptz', (_rule, value, timeZone, expected) => {
    expect(coerceValue(value, 'timestamptz', timeZone === undefined ? {} : { timeZone })).toEqual(ok(expected));
  });

  it.each<[string, JsonValue]>([
    ['a month 13', '2026-13-01T00:00:00Z'],
    ['a 25th hour', '2026-03-01T25:00:00Z'],
    ['an offset beyond 15 hours', '2026-03-01T10:00:00+16:00'],
    ['free text', 'yesterday'],
    ['epoch seconds as a string', '1773853500'],
    ['a year beyond 9999 in milliseconds', 253402300800000],
    ['a boolean', true],
  ])('refuses %s as timestamptz', (_rule, value) => {
    expect(coerceValue(value, 'timestamptz')).toEqual(fails);
  });

  it('refuses an unknown time zone as a configuration error', () => {
    expect(() => coerceValue('2026-03-02 09:14:27', 'timestamptz', { timeZone: 'Mars/Olympus' })).toThrow(ConfigurationError);
  });

  it('says what it could not coerce to what', () => {
    expect(coerceValue('12,50', 'numeric')).toMatchInlineSnapshot(`
      {
        "ok": false,
        "reason": "cannot coerce "12,50" to numeric",
      }
    `);
  });

  test.prop([fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })])('round-trips any int4 through its text', (number) => {
    expect(coerceValue(String(number), 'integer')).toEqual(ok(number));
  });

  test.prop([fc.stringMatching(/^-?\d{1,12}\.\d{2}$/)])('keeps any decimal amount text exactly', (amount) => {
    expect(coerceValue(amount, 'numeric')).toEqual(ok(amount));
  });

  test.prop([fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })])(
    'reads epoch milliseconds as the same instant as their ISO text',
    (date) => {
      const result = coerceValue(date.getTime(), 'timestamptz');
      expect(result.ok && Date.parse(String(result.value))).toBe(date.getTime());
    },
  );
});

describe('coerceRow', () => {
  const model: EntityModel = {
    name: 'BunqPayment',
    key: ['id'],
    columns: [
      { name: 'id', type: 'bigint', key: true, scd: 2, nullable: false },
      { name: 'created', type: 'timestamptz', key: false, scd: 2, nullable: false },
      { name: 'amount_value', type: 'numeric', key: false, scd: 2, nullable: false, source: 'amount.value' },
      { name: 'description', type: 'text', key: false, scd: 1, nullable: true },
    ],
  };

  it('returns values in model column order', () => {
    const row = { description: 'Order 77', amount_value: '-12.50', created: '2026-03-02 09:14:27.118204', id: 4200017 };
    expect(coerceRow(row, model, { entity: 'bunq_payment', position: 0 })).toEqual({
      values: [4200017, '2026-03-02T09:14:27.118204+00:00', '-12.50', 'Order 77'],
      issues: [],
    });
  });

  it('reports every value it cannot coerce with entity, position, path and value', () => {
    const row = { id: null, created: 'yesterday', amount_value: '12,50', description: null };
    const { values, issues } = coerceRow(row, model, { entity: 'bunq_payment', position: 17 });
    expect(values).toEqual([null, null, null, null]);
    expect(issues.map(formatCoercionIssue)).toMatchInlineSnapshot(`
      [
        "entity bunq_payment, record 17, id: missing value for a non-nullable column",
        "entity bunq_payment, record 17, created: cannot coerce "yesterday" to timestamptz",
        "entity bunq_payment, record 17, amount.value: cannot coerce "12,50" to numeric",
      ]
    `);
    expect(issues[2]).toEqual<CoercionIssue>({
      entity: 'bunq_payment',
      position: 17,
      column: 'amount_value',
      path: 'amount.value',
      value: '"12,50"',
      reason: 'cannot coerce "12,50" to numeric',
    });
  });

  it('cuts long values in an issue to 80 characters', () => {
    const { issues } = coerceRow({ id: 'x'.repeat(500) }, model, { entity: 'e', position: 0 });
    expect(issues[0]?.value).toHaveLength(80);
  });

  it('reuses one coercer across rows and appends to the caller’s issue list', () => {
    const coerce = createRowCoercer(model, 'bunq_payment', { timeZone: 'Europe/Amsterdam' });
    const issues: CoercionIssue[] = [];
    const first = coerce({ id: 1, created: '2026-07-01 12:00:00', amount_value: '1.00' }, 0, issues);
    const second = coerce({ id: 2, created: '2026-01-01 12:00:00', amount_value: 'x' }, 1, issues);
    expect(first).toEqual([1, '2026-07-01T12:00:00+02:00', '1.00', null]);
    expect(second[1]).toBe('2026-01-01T12:00:00+01:00');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ position: 1, column: 'amount_value' });
  });
});
