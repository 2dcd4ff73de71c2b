import { describe, expect } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { canonicalJson, contentHash } from '../../../shared/metadata/content-hash.ts';

/** The same object with its keys in reverse order, at every level. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).reverse().map(([key, child]) => [key, reverseKeys(child)]));
  }
  return value;
}

describe('contentHash', () => {
  test.prop([fc.jsonValue()])('does not depend on key order', (value) => {
    expect(contentHash(reverseKeys(value))).toBe(contentHash(value));
  });

  test.prop([fc.jsonValue()])('survives a JSON round trip (what MongoDB stores and gives back)', (value) => {
    expect(contentHash(JSON.parse(JSON.stringify(value)))).toBe(contentHash(value));
  });

  test.prop([fc.array(fc.integer(), { minLength: 2 }).filter((list) => new Set(list).size > 1)])(
    'depends on list order',
    (list) => {
      const reversed = [...list].reverse();
      fc.pre(JSON.stringify(reversed) !== JSON.stringify(list));
      expect(contentHash(reversed)).not.toBe(contentHash(list));
    },
  );

  test.prop([fc.jsonValue()])('canonical JSON parses back to the same value', (value) => {
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });
});
