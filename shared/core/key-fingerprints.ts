/**
 * A compact set of 64-bit key fingerprints, for the uniqueness check of a batch with more keys than it holds as
 * text (dq-accumulator.ts). Two different keys may share a fingerprint, so a fingerprint seen twice only says "maybe
 * a duplicate", while none seen twice proves there is none: the caller counts the duplicates exactly (in the table)
 * only in the first case. 8 bytes a slot in two typed arrays (at most 3/4 full), instead of ~100 for a string in a `Set`.
 */

/** What `add` found: a new fingerprint, one already there (maybe a duplicate key), or no room left. */
export type FingerprintAdded = 'new' | 'seen' | 'full';

export interface FingerprintSet {
  /** Adds the fingerprint of a one-part key. */
  add(text: string): FingerprintAdded;
  /**
   * Adds the fingerprint of a key of several parts, fed one by one between `startKey` and `endKey`, without building
   * their joined text: the same fingerprint as `add` of the parts joined by NUL (so `ab|c` and `a|bc` differ).
   */
  startKey(): void;
  feedPart(text: string): void;
  endKey(): FingerprintAdded;
  readonly size: number;
}

const INITIAL_SLOTS = 1 << 16;
const MAX_LOAD = 0.75;
const HIGH_SEED = 0x811c9dc5;
const LOW_SEED = 0x9747b28c;

/**
 * An open-addressing (linear probing) set of fingerprints that grows by doubling, up to `maxKeys` fingerprints;
 * past that, `add` answers `full` and keeps nothing more. A fingerprint is two 32-bit hashes of the key's UTF-16
 * code units in one pass: FNV-1a, and a multiply-xorshift with another multiplier, each through murmur3's finaliser.
 */
export function createFingerprintSet(maxKeys: number): FingerprintSet {
  let high = new Uint32Array(INITIAL_SLOTS);
  let low = new Uint32Array(INITIAL_SLOTS);
  let size = 0;
  let hashHigh = HIGH_SEED;
  let hashLow = LOW_SEED;
  let length = 0;
  let parts = 0;

  function feed(text: string): void {
    let h = hashHigh;
    let l = hashLow;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      h = Math.imul(h ^ code, 0x01000193);
      l = Math.imul(l ^ code, 0x5bd1e995) ^ (l >>> 15);
    }
    hashHigh = h;
    hashLow = l;
    length += text.length;
  }

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

  const set: FingerprintSet = {
    add(text) {
      set.startKey();
      feed(text);
      return set.endKey();
    },
    startKey() {
      hashHigh = HIGH_SEED;
      hashLow = LOW_SEED;
      length = 0;
      parts = 0;
    },
    feedPart(text) {
      if (parts > 0) feed('\u0000');
      parts += 1;
      feed(text);
    },
    endKey() {
      if (size >= maxKeys) return 'full';
      const h = finalise(hashHigh ^ length);
      const l = finalise(hashLow ^ length) || (h === 0 ? 1 : 0);
      if (!insert(high, low, h, l)) return 'seen';
      size += 1;
      if (size > high.length * MAX_LOAD) grow();
      return 'new';
    },
    get size() {
      return size;
    },
  };
  return set;
}

function finalise(hash: number): number {
  let mixed = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  mixed = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) >>> 0;
}
