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
