import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../shared/errors.ts';
import type { NightscoutBoundary } from '../../../shared/layers/landing/nightscout/date-window-walk.ts';
import { HistoryWalk, V3_MAX_LIMIT } from '../../../shared/layers/landing/nightscout/history-walk.ts';

type Doc = { identifier: string; srvModified: number; isValid?: boolean };

/** API v3's answer to `history/{after}?limit=`: changes after `after`, oldest first, ties shuffled by `seed`. */
function answer(documents: readonly Doc[], request: { path: string; limit: number }, seed: number): Doc[] {
  const after = Number(request.path.split('/').at(-1));
  const rank = (id: string): number => [...`${seed}${id}`].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 1_000_003, 7);
  return documents
    .filter((doc) => doc.srvModified > after)
    .sort((a, b) => a.srvModified - b.srvModified || rank(a.identifier) - rank(b.identifier))
    .slice(0, request.limit);
}

/** Runs a whole walk and returns the changes it landed (`id@srvModified`) and the new boundary. */
function walk(documents: readonly Doc[], from: NightscoutBoundary, limit: number, seed = 1) {
  const run = new HistoryWalk('treatments', from, limit);
  const landed: string[] = [];
  for (let request = 0; request < 10_000; request += 1) {
    const outcome = run.accept(answer(documents, run.request(), seed + request));
    landed.push(...outcome.fresh.map((doc) => `${String(doc.identifier)}@${String(doc.srvModified)}`));
    if (outcome.isDone) return { landed, boundary: run.boundary(), requests: request + 1 };
  }
  throw new Error('walk did not end');
}

const START: NightscoutBoundary = { since_ms: 0, ids_at_since: [] };
const docs = (pairs: [string, number][]): Doc[] => pairs.map(([identifier, srvModified]) => ({ identifier, srvModified }));

describe('HistoryWalk', () => {
  it('asks the feed from just before the boundary, with the limit capped at API v3\'s maximum', () => {
    expect(new HistoryWalk('entries', { since_ms: 1000, ids_at_since: [] }, 50).request()).toEqual({ path: 'entries/history/999', limit: 50 });
    expect(new HistoryWalk('entries', START, 5000).request()).toEqual({ path: 'entries/history/0', limit: V3_MAX_LIMIT });
  });

  it('pages forwards and lands changes sharing the page edge once', () => {
    const result = walk(docs([['a', 10], ['b', 20], ['c', 20], ['d', 20], ['e', 30], ['f', 40]]), START, 3);
    expect(result.landed.sort()).toEqual(['a@10', 'b@20', 'c@20', 'd@20', 'e@30', 'f@40']);
    expect(result.boundary).toEqual({ since_ms: 40, ids_at_since: ['f'] });
  });

  it('doubles the limit when one instant holds more changes than a page', () => {
    const result = walk(docs([['a', 5], ['b', 10], ['c', 10], ['d', 10], ['e', 10], ['f', 10]]), START, 2);
    expect(result.landed.sort()).toEqual(['a@5', 'b@10', 'c@10', 'd@10', 'e@10', 'f@10']);
    expect(result.boundary).toEqual({ since_ms: 10, ids_at_since: ['b', 'c', 'd', 'e', 'f'] });
  });

  it('drops changes at the boundary the previous run landed, and lands one stamped with the same millisecond later', () => {
    const result = walk(docs([['a', 10], ['b', 10], ['c', 10]]), { since_ms: 10, ids_at_since: ['a', 'b'] }, 10);
    expect(result.landed).toEqual(['c@10']);
    expect(result.boundary).toEqual({ since_ms: 10, ids_at_since: ['a', 'b', 'c'] });
  });

  it('lands an edit and a deletion of an old document as changes, whatever its own date', () => {
    const first = walk(docs([['a', 10], ['b', 11]]), START, 10);
    const changed: Doc[] = [{ identifier: 'a', srvModified: 50 }, { identifier: 'b', srvModified: 51, isValid: false }];
    expect(walk(changed, first.boundary, 10).landed).toEqual(['a@50', 'b@51']);
  });

  it('keeps the boundary when nothing changed', () => {
    const result = walk(docs([['a', 10]]), { since_ms: 10, ids_at_since: ['a'] }, 10);
    expect(result.landed).toEqual([]);
    expect(result.boundary).toEqual({ since_ms: 10, ids_at_since: ['a'] });
  });

  it('refuses a document without srvModified, and more changes at one instant than API v3 can page', () => {
    expect(() => new HistoryWalk('entries', START, 10).accept([{ identifier: 'a' }])).toThrow(UpstreamError);
    const tied = Array.from({ length: V3_MAX_LIMIT }, (_, index) => ({ identifier: `t${index}`, srvModified: 7 }));
    const run = new HistoryWalk('entries', { since_ms: 7, ids_at_since: [] }, V3_MAX_LIMIT);
    expect(() => run.accept(tied)).toThrow('more than 1000 changes share srvModified 7');
  });

  // The server stamps changes with its clock (never older than the newest stamp, ties allowed); a document that
  // changes again gets a new stamp. Two runs in a row then land every document's latest change, and no change twice.
  test.prop([
    fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 40 }),
    fc.array(fc.tuple(fc.nat({ max: 50 }), fc.integer({ min: 0, max: 5 })), { maxLength: 30 }),
    fc.integer({ min: 1, max: 6 }),
    fc.integer({ min: 0, max: 1000 }),
  ])('lands every latest change once across consecutive runs, edits and new documents alike', (stamps, changes, limit, seed) => {
    const state = new Map<string, number>(stamps.map((stamp, index) => [`d${index}`, stamp]));
    const run1 = walk([...state].map(([identifier, srvModified]) => ({ identifier, srvModified })), START, limit, seed);
    let clock = Math.max(1, ...stamps); // srvModified is an epoch time: never 0
    for (const [target, step] of changes) {
      clock += step;
      state.set(target < state.size ? `d${target}` : `n${target}`, clock);
    }
    const run2 = walk([...state].map(([identifier, srvModified]) => ({ identifier, srvModified })), run1.boundary, limit, seed + 7);
    const landed = [...run1.landed, ...run2.landed];
    expect(new Set(landed).size).toBe(landed.length);
    for (const [identifier, srvModified] of state) expect(landed).toContain(`${identifier}@${srvModified}`);
  });
});
