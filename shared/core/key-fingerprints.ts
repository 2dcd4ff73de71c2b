/**
 * A compact set of 64-bit key fingerprints, for the uniqueness check of a batch with more keys than it holds as
 * text (dq-accumulator.ts). Two different keys may share a fingerprint, so a fingerprint seen twice only says "maybe
 * a duplicate", while none seen twice proves there is none: the caller counts the duplicates exactly (in the table)
 * only in the first case. 8 bytes a slot in two typed arrays (at most 3/4 full), instead of ~100 for a string in a `Set`.
 */

/** What `add` found: a new fingerprint, one already there (maybe a duplicate key), or no room left. */
export type FingerprintAdded = 'new' | 'seen' | 'full';

export interface FingerprintSet {
  add(text: string): FingerprintAdded;
  readonly size: number;
}

const INITIAL_SLOTS = 1 << 16;
const MAX_LOAD = 0.75;

/**
 * An open-addressing (linear probing) set of fingerprints that grows by doubling, up to `maxKeys` fingerprints;
 * past that, `add` answers `full` and keeps nothing more.
 */
export function createFingerprintSet(maxKeys: number): FingerprintSet {
  let high = new Uint32Array(INITIAL_SLOTS);
  let low = new Uint32Array(INITIAL_SLOTS);
  let size = 0;

  // (0, 0) marks an empty slot, so a fingerprint of (0, 0) is stored as (0, 1): at worst one more "maybe".
  function insert(intoHigh: Uint32Array, intoLow: Uint32Array, h: number, l: number): boolean {
    const mask = intoHigh.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const slotHigh = intoHigh[slot]!;
      const slotLow = intoLow[slot]!;
      if (slotHigh === 0 && slotLow === 0) {
        intoHigh[slot] = h;
        intoLow[slot] = l;
        return true;
      }
      if (slotHigh === h && slotLow === l) return false;
    }
  }

  function grow(): void {
    const nextHigh = new Uint32Array(high.length * 2);
    const nextLow = new Uint32Array(high.length * 2);
    for (let slot = 0; slot < high.length; slot += 1) {
      if (high[slot] !== 0 || low[slot] !== 0) insert(nextHigh, nextLow, high[slot]!, low[slot]!);
    }
    high = nextHigh;
    low = nextLow;
  }

  return {
    add(text) {
      if (size >= maxKeys) return 'full';
      const h = fingerprintHigh(text);
      const l = fingerprintLow(text) || (h === 0 ? 1 : 0);
      if (!insert(high, low, h, l)) return 'seen';
      size += 1;
      if (size > high.length * MAX_LOAD) grow();
      return 'new';
    },
    get size() {
      return size;
    },
  };
}

/** The high 32 bits of a key's fingerprint: FNV-1a over its UTF-16 code units, then murmur3's finaliser. */
export function fingerprintHigh(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return finalise(hash ^ text.length);
}

/** The low 32 bits: a different multiplier and seed, so the two halves are independent enough. */
export function fingerprintLow(text: string): number {
  let hash = 0x9747b28c;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x5bd1e995) ^ (hash >>> 15);
  return finalise(hash ^ text.length);
}

function finalise(hash: number): number {
  let mixed = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) >>> 0;
}
