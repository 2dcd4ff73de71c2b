/**
 * Parsing of timestamps and dates for coercion, exact to the digit: values never pass through a JS `Date` (which
 * keeps milliseconds only), so bunq's microseconds survive. Naive local times are placed in a configured zone.
 */
import { DateTime, IANAZone } from 'luxon';

// date, then optionally a time (T or space) and an offset (Z, ±HH, ±HHMM, ±HH:MM).
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s?(Z|z|[+-]\d{2}(?::?\d{2})?))?)?$/;
const MIN_EPOCH_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const MAX_EPOCH_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
const OFFSET_CACHE_LIMIT = 10_000;
const offsetCache = new Map<string, number>();

/** True when `zone` is `UTC` or an IANA zone name luxon knows (`Europe/Amsterdam`). */
export function isKnownTimeZone(zone: string): boolean {
  return zone === 'UTC' || IANAZone.isValidZone(zone);
}

/**
 * Parses an ISO-8601-like timestamp into PostgreSQL timestamptz input (`2026-03-02T09:14:27.118204+01:00`), or
 * `undefined`. With an offset the offset is kept; without one (bunq's `2026-03-02 09:14:27.118204`) the local time
 * is read in `timeZone`; a date alone means its midnight there. Fraction digits are kept as written.
 */
export function parseTimestamp(text: string, timeZone: string): string | undefined {
  return parseCommonTimestamp(text, timeZone) ?? parseAnyTimestamp(text, timeZone);
}

// The general form: every variant TIMESTAMP allows (a space, a comma, compact or hour-only offsets, a date alone,
// naive times in a zone).
function parseAnyTimestamp(text: string, timeZone: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction, offset] = match as unknown as (string | undefined)[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (!isValidDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  const clock = `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction === undefined ? '' : `.${fraction}`}`;
  if (offset !== undefined) {
    const normalized = normalizeOffset(offset);
    return normalized === undefined ? undefined : clock + normalized;
  }
  if (timeZone === 'UTC') return `${clock}+00:00`;
  const minutes = zoneOffsetMinutes(timeZone, year, month, day, hour, minute, second);
  return minutes === undefined ? undefined : clock + formatOffset(minutes);
}

/** Epoch milliseconds (Nightscout's `date`, `mills`) as timestamptz input in UTC, or `undefined` when out of range. */
export function epochMillisToTimestamp(millis: number): string | undefined {
  if (!Number.isFinite(millis) || millis < MIN_EPOCH_MS || millis > MAX_EPOCH_MS) return undefined;
  let whole = Math.floor(millis);
  let micros = Math.round((millis - whole) * 1000);
  if (micros === 1000) {
    whole += 1;
    micros = 0;
  }
  const iso = new Date(whole).toISOString(); // 2026-03-18T17:05:00.000Z
  return micros === 0 ? `${iso.slice(0, -1)}+00:00` : `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}+00:00`;
}

/** A `YYYY-MM-DD` calendar date, validated, or `undefined`. */
export function parseDate(text: string): string | undefined {
  return text.length === 10 && isDateAt(text) ? text : undefined;
}

// Most timestamps are what `Date.prototype.toISOString` and most APIs write: `YYYY-MM-DDTHH:MM:SS`, an optional
// `.` and 1–9 fraction digits, then `Z`, `±HH:MM` or (read in UTC) nothing. For those the answer is the text itself
// with `Z` spelled `+00:00`, found by reading characters instead of running TIMESTAMP and rebuilding the string;
// anything else, valid or not, is `undefined` here and left to the general form, which gives the same answer for
// these and decides the rest.
function parseCommonTimestamp(text: string, timeZone: string): string | undefined {
  const length = text.length;
  if (length < 19 || !isDateAt(text) || text.charCodeAt(10) !== T) return undefined;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return undefined;
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let end = 19;
  if (text.charCodeAt(end) === DOT) {
    const digits = digitRun(text, end + 1);
    if (digits === 0 || digits > 9) return undefined;
    end += 1 + digits;
  }
  if (end === length) return timeZone === 'UTC' ? `${text}+00:00` : undefined;
  const mark = text.charCodeAt(end);
  if (mark === Z) return end + 1 === length ? `${text.slice(0, end)}+00:00` : undefined;
  if ((mark !== PLUS && mark !== MINUS) || end + 6 !== length || text.charCodeAt(end + 3) !== COLON) return undefined;
  // PostgreSQL accepts offsets up to ±15:59; the text is already in the normal `±HH:MM` form.
  const offsetHours = digitsAt(text, end + 1, 2);
  const offsetMinutes = digitsAt(text, end + 4, 2);
  return offsetHours < 0 || offsetHours > 15 || offsetMinutes < 0 || offsetMinutes > 59 ? undefined : text;
}

const T = 0x54;
const Z = 0x5a;
const COLON = 0x3a;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;

// `YYYY-MM-DD` at the start of `text`, a real calendar date.
function isDateAt(text: string): boolean {
  if (text.charCodeAt(4) !== MINUS || text.charCodeAt(7) !== MINUS) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  return year >= 0 && month >= 0 && day >= 0 && isValidDate(year, month, day);
}

// The number the `count` ASCII digits at `start` spell, or -1 when one is not a digit (or past the end).
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i += 1) {
    const digit = text.charCodeAt(i) - 0x30; // NaN past the end
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

// How many ASCII digits follow from `start`, up to 10 (enough to tell "more than 9").
function digitRun(text: string, start: number): number {
  let count = 0;
  while (count < 10) {
    const digit = text.charCodeAt(start + count) - 0x30;
    if (!(digit >= 0 && digit <= 9)) break;
    count += 1;
  }
  return count;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isValidDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  if (month === 2 && day === 29) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= DAYS_IN_MONTH[month - 1]!;
}

function normalizeOffset(offset: string): string | undefined {
  if (offset === 'Z' || offset === 'z') return '+00:00';
  const hours = offset.slice(1, 3);
  const minutes = offset.length > 3 ? offset.slice(-2) : '00';
  // PostgreSQL accepts offsets up to ±15:59.
  if (Number(hours) > 15 || Number(minutes) > 59) return undefined;
  return `${offset[0]}${hours}:${minutes}`;
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  const hours = String(Math.floor(absolute / 60)).padStart(2, '0');
  return `${sign}${hours}:${String(absolute % 60).padStart(2, '0')}`;
}

// The offset that maps this wall-clock time to luxon's instant for it, so a time in the skipped hour (clocks go
// forward) gets the offset from before the jump, and one in the repeated hour (clocks go back) the later instant.
// Offsets only change on transitions, so an hour whose start and end agree is cached for every value in it.
function zoneOffsetMinutes(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const key = `${zone}|${year}-${month}-${day}T${hour}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const start = offsetAt(zone, year, month, day, hour, 0, 0);
  const end = offsetAt(zone, year, month, day, hour, 59, 59);
  if (start === undefined || end === undefined) return undefined;
  if (start !== end) return offsetAt(zone, year, month, day, hour, minute, second);
  if (offsetCache.size >= OFFSET_CACHE_LIMIT) offsetCache.clear();
  offsetCache.set(key, start);
  return start;
}

function offsetAt(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const local = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone });
  if (!local.isValid) return undefined;
  // Date.UTC would read years 0–99 as 1900–1999.
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return Math.round((wall.getTime() - local.toMillis()) / 60_000);
}
