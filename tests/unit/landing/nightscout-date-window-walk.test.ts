import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../shared/errors.ts';
import { DateWindowWalk, type NightscoutBoundary } from '../../../shared/layers/landing/nightscout/date-window-walk.ts';
import { DATED_COLLECTIONS } from '../../../shared/layers/landing/nightscout/nightscout-collections.ts';

type Doc = { _id: string; date: number };
const entries = DATED_COLLECTIONS.entries;

/** Nightscout's answer to a walk's query: filter, newest first with ties shuffled by `seed`, `count` of them. */
function answer(documents: readonly Doc[], query: Record<string, string>, seed: number): Doc[] {
  const from = Number(query['find[date][$gte]']);
  const upper = Number(query['find[date][$lte]']);
  const count = Number(query.count);
  const rank = (id: string): number => [...`${seed}${id}`].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 1_000_003, 7);
  return documents
    .filter((doc) => doc.date >= from && doc.date <= upper)
    .sort((a, b) => b.date - a.date || rank(a._id) - rank(b._id))
    .slice(0, count);
}

/** Runs a whole walk against `documents` and returns what it landed and the new boundary. */
function walk(documents: readonly Doc[], from: NightscoutBoundary, untilMs: number, pageSize: number, seed = 1) {
  const run = new DateWindowWalk(entries, { from, until_ms: untilMs }, pageSize);
  const landed: string[] = [];
  for (let request = 0; request < 10_000; request += 1) {
    const outcome = run.accept(answer(documents, run.query(), seed + request));
    landed.push(...outcome.fresh.map((doc) => doc._id as string));
    if (outcome.isDone) return { landed, boundary: run.boundary(), requests: request + 1 };
  }
  throw new Error('walk did not end');
}

const START: NightscoutBoundary = { since_ms: 0, ids_at_since: [] };
const docs = (pairs: [string, number][]): Doc[] => pairs.map(([_id, date]) => ({ _id, date }));

describe('DateWindowWalk', () => {
  it('always sends a lower and an upper date filter with the page size', () => {
    const run = new DateWindowWalk(entries, { from: { since_ms: 1000, ids_at_since: [] }, until_ms: 5000 }, 50);
    expect(run.query()).toEqual({ 'find[date][$gte]': '1000', 'find[date][$lte]': '5000', count: '50' });
  });

  it('filters ISO dates of treatments with toISOString values', () => {
    const run = new DateWindowWalk(DATED_COLLECTIONS.treatments, { from: { since_ms: 0, ids_at_since: [] }, until_ms: Date.parse('2026-03-18T18:00:00Z') }, 10);
    expect(run.query()).toEqual({
      'find[created_at][$gte]': '1970-01-01T00:00:00.000Z',
      'find[created_at][$lte]': '2026-03-18T18:00:00.000Z',
      count: '10',
    });
  });

  it('pages backwards with an inclusive upper bound and lands records sharing the page edge once', () => {
    const data = docs([['a', 50], ['b', 40], ['c', 40], ['d', 40], ['e', 30], ['f', 20]]);
    const result = walk(data, START, 100, 3);
    expect(result.landed.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(result.boundary).toEqual({ since_ms: 50, ids_at_since: ['a'] });
  });

  it('doubles the page size when one instant holds more records than a page', () => {
    const data = docs([['a', 10], ['b', 10], ['c', 10], ['d', 10], ['e', 10], ['f', 5]]);
    const result = walk(data, START, 100, 2);
    expect(result.landed.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(result.boundary).toEqual({ since_ms: 10, ids_at_since: ['a', 'b', 'c', 'd', 'e'] });
  });

  it('drops records at the boundary that the previous run landed, and lands new ones at the same instant', () => {
    const data = docs([['a', 10], ['b', 10], ['c', 10], ['d', 5]]);
    const result = walk(data, { since_ms: 10, ids_at_since: ['a', 'b'] }, 100, 10);
    expect(result.landed).toEqual(['c']);
    expect(result.boundary).toEqual({ since_ms: 10, ids_at_since: ['a', 'b', 'c'] });
  });

  it('keeps the boundary when nothing new arrived', () => {
    const result = walk(docs([['a', 10]]), { since_ms: 10, ids_at_since: ['a'] }, 100, 10);
    expect(result.landed).toEqual([]);
    expect(result.boundary).toEqual({ since_ms: 10, ids_at_since: ['a'] });
  });

  it('leaves records dated after the run for a later run', () => {
    const data = docs([['past', 10], ['future', 500]]);
    const first = walk(data, START, 100, 10);
    expect(first.landed).toEqual(['past']);
    expect(walk(data, first.boundary, 1000, 10).landed).toEqual(['future']);
  });

  it('refuses a full page on which no record has a readable date', () => {
    const run = new DateWindowWalk(entries, { from: START, until_ms: 100 }, 2);
    expect(() => run.accept([{ _id: 'a' }, { _id: 'b' }])).toThrow(UpstreamError);
  });

  // Records arrive in date order (a new one is never older than the newest present), ties included: two runs
  // in a row then land every record exactly once, whatever the page size and the tie order.
  test.prop([
    fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 0, maxLength: 60 }),
    fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 0, maxLength: 40 }),
    fc.integer({ min: 1, max: 7 }),
    fc.integer({ min: 0, max: 1000 }),
  ])('lands every record exactly once across consecutive runs', (firstDates, laterSteps, pageSize, seed) => {
    const first = firstDates.map((date, index) => ({ _id: `f${index}`, date }));
    const newest = Math.max(0, ...firstDates);
    const later = laterSteps.map((step, index) => ({ _id: `l${index}`, date: newest + step }));
    const run1 = walk(first, START, 30, pageSize, seed);
    const run2 = walk([...first, ...later], run1.boundary, 100, pageSize, seed + 7);
    const landed = [...run1.landed, ...run2.landed].sort();
    expect(landed).toEqual([...first, ...later].map((doc) => doc._id).sort());
  });
});
