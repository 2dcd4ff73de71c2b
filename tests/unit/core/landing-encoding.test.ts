import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../shared/core/json.ts';
import {
  MAX_NATIVE_DEPTH,
  decodeLandingRecord,
  encodeLandingRecord,
  nativeStorageProblem,
  writeJsonText,
} from '../../../shared/core/landing-encoding.ts';
import { anyJson, nastyJson, nestedArrays, nestedObjects } from '../landing/nasty-json.ts';

describe('nativeStorageProblem', () => {
  it.each<[string, JsonValue, string | undefined]>([
    ['plain records are stored as they are', { id: 1, name: 'Anna ✨', tags: ['a'], address: { city: 'Utrecht' } }, undefined],
    ['an empty key is fine on both databases', { '': 1 }, undefined],
    ['a $ inside a key is fine', { a$: 1 }, undefined],
    ['arrays of objects holding arrays are fine', [{ a: [1, 2] }, { a: [] }], undefined],
    ['a dot in a key is refused by FerretDB', { a: { 'b.c': 1 } }, 'dotted_key'],
    ['a key starting with $ is refused by FerretDB', { $set: 1 }, 'dollar_key'],
    ['a NUL in a key is refused by BSON', { 'a\u0000': 1 }, 'nul_in_key'],
    ['a NUL in a string is refused by PostgreSQL under FerretDB', { a: 'x\u0000y' }, 'nul_in_string'],
    ['a lone surrogate would be replaced by U+FFFD', { a: 'x\ud800' }, 'lone_surrogate'],
    ['a lone surrogate in a key likewise', { '\udc00': 1 }, 'lone_surrogate'],
    ['a paired surrogate (an emoji) is fine', { '😀': '😀' }, undefined],
    ['an array directly inside an array is refused by FerretDB', { a: [1, [2]] }, 'nested_array'],
    ['an empty array inside an array too', [[]], 'nested_array'],
    ['-0 would be stored as 0 by FerretDB', { a: -0 }, 'negative_zero'],
    ['a key named like an Object.prototype member would read back as raw BSON', { meta: { constructor: [{}] } }, 'prototype_key'],
    ['__proto__ is one of them', JSON.parse('{"__proto__": 1}') as JsonValue, 'prototype_key'],
    ['a key that merely contains one is fine', { my_constructor: [{}], prototype: [{}] }, undefined],
    ['an _id after other keys would be moved to the front by FerretDB', { a: { name: 'x', _id: 1 } }, 'id_not_first'],
    ['an _id in front stays where it is', { _id: 'abc', a: { _id: 1, name: 'x' } }, undefined],
    ['nesting up to the limit is fine', nestedObjects(MAX_NATIVE_DEPTH), undefined],
    ['nesting beyond the limit is refused by MongoDB', nestedObjects(MAX_NATIVE_DEPTH + 1), 'too_deep'],
  ])('%s', (_rule, value, problem) => {
    expect(nativeStorageProblem(value)).toBe(problem);
  });
});

describe('encodeLandingRecord', () => {
  it('stores a record that needs no encoding as it is', () => {
    const record = { id: 7, amount: { value: '-12.50', currency: 'EUR' } };
    expect(encodeLandingRecord(record)).toEqual({ record });
  });

  it('stores any other record whole as JSON text', () => {
    expect(encodeLandingRecord({ 'pref.language': 'nl', n: -0 })).toEqual({ record_json: '{"pref.language":"nl","n":-0}' });
  });

  it('reads back a record nested far deeper than JSON.stringify can write', () => {
    const deep = nestedArrays(20_000);
    const encoded = encodeLandingRecord(deep);
    expect('record_json' in encoded).toBe(true);
    expect(writeJsonText(decodeLandingRecord(encoded))).toBe(writeJsonText(deep));
  });

  it('refuses a stored document holding neither form', () => {
    expect(() => decodeLandingRecord({})).toThrow('neither "record" nor "record_json"');
  });

  test.prop([anyJson])('any JSON value survives encode → decode', (value) => {
    expect(decodeLandingRecord(encodeLandingRecord(value))).toEqual(value);
  });

  test.prop([nastyJson], { numRuns: 500 })('values built to break databases survive encode → decode, key order included', (value) => {
    const decoded = decodeLandingRecord(encodeLandingRecord(value));
    expect(decoded).toEqual(value);
    expect(writeJsonText(decoded)).toBe(writeJsonText(value));
  });
});

describe('writeJsonText', () => {
  test.prop([anyJson])('writes what JSON.stringify writes, except that -0 stays -0', (value) => {
    const expected = JSON.stringify(value, (_key, item: unknown) => (Object.is(item, -0) ? '<-0>' : item)).replaceAll('"<-0>"', '-0');
    expect(writeJsonText(value)).toBe(expected);
  });

  it('keeps an own __proto__ key', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":[1,{"b":null}]}') as JsonValue;
    expect(writeJsonText(value)).toBe('{"__proto__":{"x":1},"a":[1,{"b":null}]}');
  });
});
