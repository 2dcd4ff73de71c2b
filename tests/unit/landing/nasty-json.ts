import { fc } from '@fast-check/vitest';
import type { JsonValue } from '../../../shared/core/json.ts';

/** Keys MongoDB or FerretDB treat specially, plus arbitrary (also ill-formed) Unicode. */
const nastyKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('a.b', '.', 'a.', '$x', '$', 'x$', '', '\u0000', 'x\u0000y', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '_id', '_dp', 'ключ', '\ud800', '✨'),
);

/** Scalars including the ones databases change silently: -0, NUL, lone surrogates, extreme doubles. */
const nastyScalar = fc.oneof(
  fc.constantFrom<JsonValue>(-0, 0, null, true, false, '', '\u0000', 'a\u0000b', '\udc00x', 'é', 5e-324, 1.7976931348623157e308, 2 ** 53 + 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

/**
 * JSON values built to hit every landing encoding rule: dotted and `$` keys, empty keys, NUL, lone surrogates,
 * -0, arrays inside arrays, objects inside arrays inside objects.
 */
export const nastyJson: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue; array: JsonValue[]; object: Record<string, JsonValue> }>(
  (tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, nastyScalar, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(nastyKey, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  }),
).value;

/** Nested arrays `depth` levels deep around `inner`, built without recursion. */
export function nestedArrays(depth: number, inner: JsonValue = 1): JsonValue {
  let value: JsonValue = inner;
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}

/** Nested objects `{a: {a: …}}` `depth` levels deep. */
export function nestedObjects(depth: number, inner: JsonValue = 1): JsonValue {
  let value: JsonValue = inner;
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

/** fast-check's JSON values (every string unit, -0 included), typed as the platform's `JsonValue`. */
export const anyJson = fc.jsonValue({ stringUnit: 'binary' }) as fc.Arbitrary<JsonValue>;
