/**
 * The JSON value types pure code works with. Landing records arrive decoded as these; core never sees BSON types
 * or class instances.
 */
export type JsonPrimitive = string | number | boolean | null;

/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;

/** A JSON object: string keys, JSON values. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** True for a JSON object, false for arrays, `null` and scalars (so `typeof x === 'object'` cannot mislead). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for a string, number, boolean or `null`. */
export function isJsonPrimitive(value: JsonValue | undefined): value is JsonPrimitive {
  return value === null || (typeof value !== 'object' && value !== undefined);
}

/**
 * Splits a dotted path (`counterparty_alias.label_user.display_name`) into keys. A key that itself contains a dot
 * escapes it as `\.` (and a backslash as `\\`), because landing keeps such keys unchanged.
 */
export function parsePath(path: string): string[] {
  if (!path.includes('\\')) return path.split('.');
  const keys: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i += 1) {
    const char = path[i];
    if (char === '\\' && i + 1 < path.length) {
      i += 1;
      current += path[i];
    } else if (char === '.') {
      keys.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  keys.push(current);
  return keys;
}

/** Writes keys back as a dotted path, escaping dots and backslashes inside keys; the inverse of `parsePath`. */
export function formatPath(keys: readonly string[]): string {
  return keys.map((key) => key.replace(/[\\.]/g, (char) => `\\${char}`)).join('.');
}

/** The value at a key path, or `undefined` when a key is missing or a step is not an object. */
export function readPath(value: JsonValue | undefined, keys: readonly string[]): JsonValue | undefined {
  let current = value;
  for (const key of keys) {
    if (!isJsonObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}
