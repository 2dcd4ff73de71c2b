import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { coerceValue } from '../../../shared/core/coerce.ts';
import { parseDate, parseTimestamp } from '../../../shared/core/coerce-time.ts';

// The general parser as it was before the character-reading fast path, for fixed offsets and UTC (naive times in
// other zones need luxon and never take the fast path): the reference every answer must equal.
const REFERENCE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s?(Z|z|[+-]\d{2}(?::?\d{2})?))?)?$/;
function referenceTimestamp(text: string): string | undefined {
  const match = REFERENCE.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction, offset] = match as unknown as (string | undefined)[];
  if (!referenceDate(Number(y), Number(mo), Number(d)) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  const clock = `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction === undefined ? '' : `.${fraction}`}`;
  if (offset === undefined) return `${clock}+00:00`;
  if (offset === 'Z' || offset === 'z') return `${clock}+00:00`;
  const hours = offset.slice(1, 3);
  const minutes = offset.length > 3 ? offset.slice(-2) : '00';
  return Number(hours) > 15 || Number(minutes) > 59 ? undefined : `${clock}${offset[0]}${hours}:${minutes}`;
}
function referenceDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= ([31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0);
}

const digits = (count: number, max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(count, '0'));
// Timestamps near the common ISO shape, valid and not: out-of-range fields, other separators and offset forms,
// too many fraction digits, trailing characters.
const timestampLike = fc
  .tuple(
    fc.oneof(digits(4, 9999), fc.constantFrom('2000', '1900', '2024', '2023', '0000', '0001')),
    digits(2, 13),
    digits(2, 32),
    fc.constantFrom('T', ' ', 't'),
    digits(2, 25),
    digits(2, 60),
    fc.oneof(digits(2, 61), fc.constant('')),
    fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('.', ','), fc.stringMatching(/^\d{0,11}$/)).map(([mark, f]) => mark + f)),
    fc.oneof(
      fc.constantFrom('', 'Z', 'z', ' Z', '+00:00', '-00:00', '+15:59', '+16:00', '+05:60'),
      fc.tuple(fc.constantFrom('+', '-'), digits(2, 17), fc.constantFrom(':', ''), digits(2, 60)).map((parts) => parts.join('')),
      fc.tuple(fc.constantFrom('+', '-'), digits(2, 17)).map((parts) => parts.join('')),
    ),
    fc.constantFrom('', '', '', 'x', '\n', ' '),
  )
  .map(([y, mo, d, sep, h, mi, s, fraction, offset, tail]) => `${y}-${mo}-${d}${sep}${h}:${mi}${s === '' ? '' : `:${s}`}${fraction}${offset}${tail}`);

describe('parseTimestamp', () => {
  it.each<[string, string, string | undefined]>([
    // toISOString's own form: Z becomes +00:00, the milliseconds kept
    ['2026-03-18T17:05:00.000Z', 'UTC', '2026-03-18T17:05:00.000+00:00'],
    // any 1–9 fraction digits are kept as written
    ['2026-03-18T17:05:00.1Z', 'UTC', '2026-03-18T17:05:00.1+00:00'],
    ['2026-03-18T17:05:00.123456789Z', 'UTC', '2026-03-18T17:05:00.123456789+00:00'],
    ['2026-03-18T17:05:00.1234567890Z', 'UTC', undefined],
    ['2026-03-18T17:05:00.Z', 'UTC', undefined],
    // an offset ±HH:MM is kept as it is, up to ±15:59 (PostgreSQL's bound)
    ['2026-03-18T17:05:00+01:00', 'UTC', '2026-03-18T17:05:00+01:00'],
    ['2026-03-18T17:05:00.5-07:30', 'Europe/Amsterdam', '2026-03-18T17:05:00.5-07:30'],
    ['2026-03-18T17:05:00-00:00', 'UTC', '2026-03-18T17:05:00-00:00'],
    ['2026-03-18T17:05:00+15:59', 'UTC', '2026-03-18T17:05:00+15:59'],
    ['2026-03-18T17:05:00+16:00', 'UTC', undefined],
    ['2026-03-18T17:05:00+01:60', 'UTC', undefined],
    // no offset: read in the zone (UTC here, a zone through the general path)
    ['2026-03-18T17:05:00', 'UTC', '2026-03-18T17:05:00+00:00'],
    ['2026-03-18T17:05:00.118204', 'Europe/Amsterdam', '2026-03-18T17:05:00.118204+01:00'],
    // the other spellings the general path reads
    ['2026-03-18T17:05:00z', 'UTC', '2026-03-18T17:05:00+00:00'],
    ['2026-03-18T17:05:00,25Z', 'UTC', '2026-03-18T17:05:00.25+00:00'],
    ['2026-03-18 17:05:00 Z', 'UTC', '2026-03-18T17:05:00+00:00'],
    ['2026-03-18T17:05:00+0100', 'UTC', '2026-03-18T17:05:00+01:00'],
    // calendar and clock ranges: leap days, hour 24, second 60, year 0
    ['2024-02-29T00:00:00Z', 'UTC', '2024-02-29T00:00:00+00:00'],
    ['2000-02-29T00:00:00Z', 'UTC', '2000-02-29T00:00:00+00:00'],
    ['1900-02-29T00:00:00Z', 'UTC', undefined],
    ['2026-02-29T00:00:00Z', 'UTC', undefined],
    ['2026-04-31T00:00:00Z', 'UTC', undefined],
    ['2026-03-18T24:00:00Z', 'UTC', undefined],
    ['2026-03-18T23:59:60Z', 'UTC', undefined],
    ['0000-01-01T00:00:00Z', 'UTC', undefined],
    ['0001-01-01T00:00:00Z', 'UTC', '0001-01-01T00:00:00+00:00'],
    // anything after the offset, or non-ASCII digits
    ['2026-03-18T17:05:00Z\n', 'UTC', undefined],
    ['2026-03-18T17:05:00+01:00x', 'UTC', undefined],
    ['２026-03-18T17:05:00Z', 'UTC', undefined],
  ])('reads %j in %s as %j', (text, zone, expected) => {
    expect(parseTimestamp(text, zone)).toBe(expected);
  });

  test.prop([timestampLike])('answers as the general parser does, in UTC', (text) => {
    expect(parseTimestamp(text, 'UTC')).toBe(referenceTimestamp(text));
  });

  test.prop([timestampLike])('answers as the general parser does for an offset, in any zone', (text) => {
    const reference = referenceTimestamp(text);
    // A valid naive time in a zone is read by luxon, outside the reference.
    fc.pre(reference === undefined || REFERENCE.exec(text)?.[8] !== undefined);
    expect(parseTimestamp(text, 'Europe/Amsterdam')).toBe(reference);
  });

  it('refuses an invalid date in the common form with the general path’s message', () => {
    expect(coerceValue('2026-02-30T10:00:00.000Z', 'timestamptz')).toMatchInlineSnapshot(`
      {
        "ok": false,
        "reason": "cannot coerce "2026-02-30T10:00:00.000Z" to timestamptz",
      }
    `);
  });
});

describe('parseDate', () => {
  it.each<[string, string | undefined]>([
    ['2026-03-02', '2026-03-02'],
    ['2024-02-29', '2024-02-29'],
    ['2026-02-29', undefined],
    ['2026-13-01', undefined],
    ['2026-00-10', undefined],
    ['0000-01-01', undefined],
    ['2026-3-02', undefined],
    ['2026-03-02 ', undefined],
    ['2026/03/02', undefined],
    ['2026-03-02T00:00:00Z', undefined],
  ])('reads %j as %j', (text, expected) => {
    expect(parseDate(text)).toBe(expected);
  });

  test.prop([fc.tuple(digits(4, 9999), digits(2, 13), digits(2, 32)).map((parts) => parts.join('-'))])(
    'accepts exactly the real calendar dates',
    (text) => {
      const [year, month, day] = text.split('-').map(Number) as [number, number, number];
      expect(parseDate(text)).toBe(referenceDate(year, month, day) ? text : undefined);
    },
  );
});
