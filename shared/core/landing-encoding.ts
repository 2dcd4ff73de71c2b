/**
 * How a landing record is stored in MongoDB or FerretDB so that any JSON value reads back exactly
 * (docs/landing.md, "Encoding"). A record that both databases store unchanged is stored as is, so the common
 * case stays a plain, inspectable document; any other record is stored whole as JSON text. The choice is made
 * per record, by one explicit check, so decoding never has to guess and no escaping scheme can collide.
 */
import { isJsonObject, type JsonValue } from './json.ts';

/**
 * Why a value cannot be stored as a plain document (the first problem found):
 * - `dotted_key`, `dollar_key`: FerretDB refuses keys containing `.` or starting with `$` (MongoDB before 5.0 too);
 * - `nul_in_key`: BSON keys are C strings; `nul_in_string`: FerretDB stores strings in PostgreSQL, which has no NUL;
 * - `lone_surrogate`: a string that is not well-formed Unicode has no UTF-8 form; the driver silently writes U+FFFD;
 * - `nested_array`: FerretDB refuses an array directly inside an array;
 * - `negative_zero`: FerretDB stores -0 as 0 (MongoDB keeps it);
 * - `too_deep`: MongoDB refuses documents nested more than 100 levels;
 * - `prototype_key`: a key named like an `Object.prototype` member (`constructor`, `toString`, `__proto__`…) whose
 *   value is a list of objects reads back as raw BSON buffers: the driver looks keys up in a plain object
 *   (`fieldsAsRaw[name]`, bson's deserializer), where those names are always found;
 * - `id_not_first`: FerretDB moves an `_id` key to the front of every object, nested ones too.
 */
export type NativeStorageProblem =
  | 'dotted_key'
  | 'dollar_key'
  | 'nul_in_key'
  | 'nul_in_string'
  | 'lone_surrogate'
  | 'nested_array'
  | 'negative_zero'
  | 'too_deep'
  | 'prototype_key'
  | 'id_not_first';

/** A record as stored: the value itself, or its JSON text when the value cannot be stored as is. */
export type EncodedLandingRecord = { readonly record: JsonValue } | { readonly record_json: string };

/**
 * Deepest nesting (objects and arrays on the way to a value, the record itself included) stored as is. MongoDB
 * allows 100 levels per document; the landing document adds its own level around the record, and the margin
 * keeps drivers' own wrappers (an insert command nests the document further) clear of the limit.
 */
export const MAX_NATIVE_DEPTH = 90;

const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Encodes a landing record for storage: `{record}` when MongoDB and FerretDB store it unchanged, else
 * `{record_json}` with its exact JSON text (`-0` included).
 *
 * @example encodeLandingRecord({ 'a.b': 1 }) // { record_json: '{"a.b":1}' }
 */
export function encodeLandingRecord(value: JsonValue): EncodedLandingRecord {
  return nativeStorageProblem(value) === undefined ? { record: value } : { record_json: writeJsonText(value) };
}

/**
 * Decodes a stored landing document's record (the inverse of `encodeLandingRecord`). Throws when the document
 * holds neither form: it was not written by the landing store.
 */
export function decodeLandingRecord(stored: { readonly record?: unknown; readonly record_json?: unknown }): JsonValue {
  if (typeof stored.record_json === 'string') return JSON.parse(stored.record_json) as JsonValue;
  if (Object.hasOwn(stored, 'record') && stored.record !== undefined) return stored.record as JsonValue;
  throw new Error('landing document holds neither "record" nor "record_json"; it was not written by the landing store');
}

/** Why `value` cannot be stored as a plain document, or `undefined` when it can. Iterative: any depth is fine. */
export function nativeStorageProblem(value: JsonValue): NativeStorageProblem | undefined {
  const pending: { readonly value: JsonValue; readonly depth: number; readonly inArray: boolean }[] = [
    { value, depth: 1, inArray: false },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const current = next.value;
    if (typeof current === 'string') {
      const problem = stringProblem(current);
      if (problem) return problem;
    } else if (typeof current === 'number') {
      if (Object.is(current, -0)) return 'negative_zero';
    } else if (Array.isArray(current)) {
      if (next.inArray) return 'nested_array';
      if (next.depth > MAX_NATIVE_DEPTH) return 'too_deep';
      for (const item of current) pending.push({ value: item, depth: next.depth + 1, inArray: true });
    } else if (isJsonObject(current)) {
      if (next.depth > MAX_NATIVE_DEPTH) return 'too_deep';
      let index = 0;
      for (const [key, item] of Object.entries(current)) {
        const problem = keyProblem(key);
        if (problem) return problem;
        if (key === '_id' && index > 0) return 'id_not_first';
        pending.push({ value: item, depth: next.depth + 1, inArray: false });
        index += 1;
      }
    }
  }
  return undefined;
}

function keyProblem(key: string): NativeStorageProblem | undefined {
  if (key.includes('\u0000')) return 'nul_in_key';
  if (key.includes('.')) return 'dotted_key';
  if (key.startsWith('$')) return 'dollar_key';
  if (PROTOTYPE_KEYS.has(key)) return 'prototype_key';
  return SURROGATE.test(key) && LONE_SURROGATE.test(key) ? 'lone_surrogate' : undefined;
}

function stringProblem(text: string): NativeStorageProblem | undefined {
  if (text.includes('\u0000')) return 'nul_in_string';
  return SURROGATE.test(text) && LONE_SURROGATE.test(text) ? 'lone_surrogate' : undefined;
}

/**
 * Writes a JSON value as JSON text, like `JSON.stringify` but keeping `-0` (JSON.parse reads it back) and without
 * recursion, so a record nested thousands of levels deep (JSON.parse accepts it) is written too. Lone surrogates
 * become `\uXXXX` escapes, as `JSON.stringify` writes them, so the text is always valid UTF-8.
 */
export function writeJsonText(value: JsonValue): string {
  const out: string[] = [];
  // One frame per open array or object: its items still to write.
  const frames: { readonly close: string; readonly keys: readonly string[] | undefined; readonly items: readonly JsonValue[]; next: number }[] = [];
  const open = (item: JsonValue): void => {
    if (Array.isArray(item)) {
      out.push('[');
      frames.push({ close: ']', keys: undefined, items: item, next: 0 });
    } else if (isJsonObject(item)) {
      out.push('{');
      const keys = Object.keys(item);
      frames.push({ close: '}', keys, items: keys.map((key) => item[key] as JsonValue), next: 0 });
    } else if (typeof item === 'number' && Object.is(item, -0)) {
      out.push('-0');
    } else {
      out.push(JSON.stringify(item));
    }
  };
  open(value);
  for (let frame = frames.at(-1); frame !== undefined; frame = frames.at(-1)) {
    if (frame.next === frame.items.length) {
      out.push(frame.close);
      frames.pop();
      continue;
    }
    if (frame.next > 0) out.push(',');
    if (frame.keys) out.push(JSON.stringify(frame.keys[frame.next]), ':');
    const item = frame.items[frame.next] as JsonValue;
    frame.next += 1;
    open(item);
  }
  return out.join('');
}
