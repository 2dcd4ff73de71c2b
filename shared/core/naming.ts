/**
 * How source names become PostgreSQL identifiers (see docs/naming.md). Modelled on dlt's snake_case naming
 * convention: `normalizeIdentifier` makes a name safe, `shortenIdentifier` makes it fit PostgreSQL's 63-byte limit
 * without losing uniqueness.
 */
import { createHash } from 'node:crypto';

/** PostgreSQL's NAMEDATALEN − 1: longer identifiers are silently truncated by the server, so we never send one. */
export const MAX_IDENTIFIER_BYTES = 63;

/** Hex characters of the hash tag a shortened identifier ends with (40 bits: collisions need ~1M long names). */
export const IDENTIFIER_TAG_LENGTH = 10;

// dlt's two camelCase breaks: "dateString" → "date_String", "pumpID" → "pump_ID", "HTTPResponse" → "HTTP_Response".
const CAMEL_BREAK_WORD = /([^_])([A-Z][a-z]+)/g;
const CAMEL_BREAK_LOWER_UPPER = /([a-z0-9])([A-Z])/g;
const NON_IDENTIFIER = /[^a-z0-9_]+/g;
const REPEATED_UNDERSCORES = /__+/g;
const NON_ASCII = /[^ -~]/; // anything but printable ASCII (control characters become _ anyway)
const COMBINING_MARKS = /[\u0300-\u036f]/g;
const ALREADY_NORMAL = /^(?!\d)(?!.*__)[a-z0-9_]+$/;

// Source keys repeat on every record; the cache keeps normalising off the hot path. Bounded, because a map with
// dynamic keys could otherwise grow it without end.
const CACHE_LIMIT = 50_000;
const normalized = new Map<string, string>();
const shortened = new Map<string, string>();

/**
 * Turns any name into a lowercase snake_case identifier: camelCase is split at its humps, accents are dropped
 * (`naïve` → `naive`), every run of characters outside `[a-z0-9_]` becomes `_`, repeated underscores collapse to
 * one, a leading digit gets a `_` prefix, and the empty name becomes `_`. Idempotent. Does not shorten.
 *
 * @example normalizeIdentifier('pumpID') // 'pump_id'
 */
export function normalizeIdentifier(name: string): string {
  const cached = normalized.get(name);
  if (cached !== undefined) return cached;
  const result = ALREADY_NORMAL.test(name) ? name : computeNormalized(name);
  remember(normalized, name, result);
  return result;
}

function computeNormalized(name: string): string {
  let text = name;
  if (NON_ASCII.test(text)) text = text.normalize('NFKD').replace(COMBINING_MARKS, '');
  text = text.replace(CAMEL_BREAK_WORD, '$1_$2').replace(CAMEL_BREAK_LOWER_UPPER, '$1_$2').toLowerCase();
  text = text.replace(NON_IDENTIFIER, '_').replace(REPEATED_UNDERSCORES, '_');
  if (text === '') return '_';
  const first = text.charCodeAt(0);
  return first >= 48 && first <= 57 ? `_${text}` : text;
}

/**
 * Joins two normalised identifiers with `_` the way `normalizeIdentifier` would join the raw names, so
 * `joinIdentifiers(normalizeIdentifier(a), normalizeIdentifier(b)) === normalizeIdentifier(`${a}_${b}`)`.
 * Flattening uses it to build `a_b` from `{a: {b}}` without normalising the whole path again.
 */
export function joinIdentifiers(prefix: string, segment: string): string {
  const head = prefix.endsWith('_') ? prefix : `${prefix}_`;
  return segment.startsWith('_') ? head + segment.slice(1) : head + segment;
}

/**
 * Makes an identifier fit in `maxBytes` UTF-8 bytes (PostgreSQL counts bytes, not characters). A name that fits is
 * returned unchanged; a longer one keeps its first bytes (cut on a character boundary, trailing `_` dropped) and
 * ends in `_` + the first 10 hex digits of the SHA-256 of the whole name. Deterministic and idempotent; two long
 * names that share their first 52 bytes still differ by their tags.
 *
 * @example shortenIdentifier('x'.repeat(70)) // 'xxxx…xxxx_3f9a0c4b1d' (63 bytes)
 */
export function shortenIdentifier(name: string, maxBytes: number = MAX_IDENTIFIER_BYTES): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short names skip the byte count.
  if (name.length * 3 <= maxBytes || Buffer.byteLength(name, 'utf8') <= maxBytes) return name;
  if (maxBytes < IDENTIFIER_TAG_LENGTH + 2) throw new RangeError(`maxBytes must be at least ${IDENTIFIER_TAG_LENGTH + 2}`);
  const cacheKey = maxBytes === MAX_IDENTIFIER_BYTES ? name : `${maxBytes}:${name}`;
  const cached = shortened.get(cacheKey);
  if (cached !== undefined) return cached;
  const tag = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, IDENTIFIER_TAG_LENGTH);
  const head = truncateToBytes(name, maxBytes - IDENTIFIER_TAG_LENGTH - 1).replace(/_+$/, '');
  const result = `${head}_${tag}`;
  remember(shortened, cacheKey, result);
  return result;
}

/** The identifier for a raw name: normalised, then shortened to 63 bytes. What flattening names a column. */
export function makeIdentifier(name: string): string {
  return shortenIdentifier(normalizeIdentifier(name));
}

/** UTF-8 length of a string in bytes. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// Cuts on a code point boundary, so a multi-byte character (or a surrogate pair) is never split.
function truncateToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

function remember(cache: Map<string, string>, key: string, value: string): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}
