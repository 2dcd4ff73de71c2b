import { describe, expect, it } from 'vitest';
import { createFingerprintSet, type FingerprintSet } from '../../../shared/core/key-fingerprints.ts';

describe('createFingerprintSet', () => {
  it('answers new for a key it has not held and seen for one it has, across its growth', () => {
    const set = createFingerprintSet(1_000_000);
    const keys = Array.from({ length: 200_000 }, (_unused, i) => `c${String(i).padStart(7, '0')}\u0000o${i % 7}`);
    expect(keys.every((key) => set.add(key) === 'new')).toBe(true);
    expect(set.size).toBe(200_000);
    expect(keys.filter((_key, i) => i % 1000 === 0).every((key) => set.add(key) === 'seen')).toBe(true);
    expect(set.size).toBe(200_000);
    expect(set.add('c0000000\u0000o1')).toBe('new');
  });

  it('answers full past its bound and keeps nothing more', () => {
    const set = createFingerprintSet(2);
    expect([set.add('a'), set.add('b'), set.add('c'), set.add('a')]).toEqual(['new', 'new', 'full', 'full']);
    expect(set.size).toBe(2);
  });

  it('tells apart keys that differ in one character, in order, or in length', () => {
    const set = createFingerprintSet(100);
    const keys = ['', 'a', 'b', 'ab', 'ba', 'a\u0000', '\u0000a', 'aa', 'aaa', 'é', 'e\u0301', '😀'];
    expect(keys.map((key) => set.add(key))).toEqual(keys.map(() => 'new'));
    expect(keys.map((key) => set.add(key))).toEqual(keys.map(() => 'seen'));
  });

  it('fingerprints a key of several parts without joining them, parts kept apart', () => {
    const set = createFingerprintSet(100);
    const addParts = (into: FingerprintSet, parts: readonly string[]) => {
      into.startKey();
      for (const part of parts) into.feedPart(part);
      return into.endKey();
    };
    expect([addParts(set, ['ab', 'c']), addParts(set, ['a', 'bc']), addParts(set, ['', 'abc']), addParts(set, ['abc', ''])]).toEqual(['new', 'new', 'new', 'new']);
    expect([addParts(set, ['ab', 'c']), addParts(set, ['', 'abc'])]).toEqual(['seen', 'seen']);
    expect(set.size).toBe(4);
    expect(set.add('ab\u0000c')).toBe('seen'); // the joined text has the parts' fingerprint
  });
});
