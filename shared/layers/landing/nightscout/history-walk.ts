import { UpstreamError } from '../../../errors.ts';
import type { NightscoutBoundary, PageOutcome } from './date-window-walk.ts';
import { readRecordKey, type HistoryCollection } from './nightscout-collections.ts';

/** API v3 answers at most this many documents a request (`API3_MAX_LIMIT`); a larger `limit` is a 400. */
export const V3_MAX_LIMIT = 1000;

/** A document's `srvModified` (epoch ms), or `undefined` when it has none. */
export function readSrvModified(record: Readonly<Record<string, unknown>>): number | undefined {
  const value = record.srvModified;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Walks one collection's API v3 change feed forwards (`GET /{collection}/history/{lastModified}`: every document
 * with `srvModified > lastModified`, oldest change first, `limit` at a time, edits and `isValid: false` deletions
 * included). The cursor is a boundary as in `DateWindowWalk`: the newest `srvModified` landed and the documents
 * (by `identifier`) landed at exactly that instant.
 *
 * - Every request asks from just before the boundary (`history/{since − 1}`, so `>= since`) and drops the
 *   documents at `since` landed before: a change stamped with the same millisecond as the last one read, but
 *   written after the read, is not lost, and nothing is landed twice.
 * - After a full page whose newest change is at `M`, the next request starts at `M` the same way. Ties come in
 *   any order, so a full page made only of changes at the boundary proves nothing: the limit is doubled up to
 *   API v3's maximum; past it the walk refuses to guess.
 *
 * Pure: the caller sends `request()`, passes the documents to `accept()`, and reads `boundary()` at the end.
 */
export class HistoryWalk {
  readonly #collection: HistoryCollection;
  readonly #from: NightscoutBoundary;
  #sinceMs: number;
  #idsAtSince: Set<string>;
  #limit: number;
  #newestMs: number | undefined;
  #idsAtNewest = new Set<string>();
  #landed = 0;

  constructor(collection: HistoryCollection, from: NightscoutBoundary, limit: number) {
    this.#collection = collection;
    this.#from = from;
    this.#sinceMs = from.since_ms;
    this.#idsAtSince = new Set(from.ids_at_since);
    this.#limit = Math.min(limit, V3_MAX_LIMIT);
  }

  /** The next request: its path below `/api/v3` and its `limit`. */
  request(): { readonly path: string; readonly limit: number } {
    const after = Math.max(0, this.#sinceMs - 1);
    return { path: `${this.#collection}/history/${after}`, limit: this.#limit };
  }

  /** Takes the answer to `request()`; returns what to land and whether another request is needed. */
  accept(page: readonly Record<string, unknown>[]): PageOutcome {
    const fresh: Record<string, unknown>[] = [];
    let newestOnPage: number | undefined;
    const idsAtNewestOnPage = new Set<string>();
    for (const record of page) {
      const modified = readSrvModified(record);
      const id = readRecordKey(record);
      if (modified === undefined || id === undefined) {
        throw new UpstreamError(`nightscout ${this.#collection} history: a document without srvModified or identifier; cannot follow the feed`, undefined);
      }
      if (newestOnPage === undefined || modified > newestOnPage) {
        newestOnPage = modified;
        idsAtNewestOnPage.clear();
      }
      if (modified === newestOnPage) idsAtNewestOnPage.add(id);
      if (modified === this.#sinceMs && this.#idsAtSince.has(id)) continue;
      fresh.push(record);
      this.#noteLanded(modified, id);
    }
    if (page.length < this.#limit || newestOnPage === undefined) return { fresh, isDone: true };
    if (newestOnPage === this.#sinceMs) {
      // the whole page is the boundary's instant: only a larger page shows all of it
      for (const id of idsAtNewestOnPage) this.#idsAtSince.add(id);
      if (this.#limit >= V3_MAX_LIMIT) {
        throw new UpstreamError(`nightscout ${this.#collection} history: more than ${V3_MAX_LIMIT} changes share srvModified ${newestOnPage}; cannot page past them`, undefined);
      }
      this.#limit = Math.min(this.#limit * 2, V3_MAX_LIMIT);
    } else {
      this.#sinceMs = newestOnPage;
      this.#idsAtSince = idsAtNewestOnPage;
    }
    return { fresh, isDone: false };
  }

  /** How many documents the walk has handed out to land. */
  get landed(): number {
    return this.#landed;
  }

  /** The boundary after the walk: the newest change landed and its documents, or the old boundary when nothing was new. */
  boundary(): NightscoutBoundary {
    if (this.#newestMs === undefined) return this.#from;
    const ids = new Set(this.#idsAtNewest);
    if (this.#newestMs === this.#from.since_ms) for (const id of this.#from.ids_at_since) ids.add(id);
    return { since_ms: this.#newestMs, ids_at_since: [...ids].sort() };
  }

  #noteLanded(modified: number, id: string): void {
    this.#landed += 1;
    if (this.#newestMs === undefined || modified > this.#newestMs) {
      this.#newestMs = modified;
      this.#idsAtNewest = new Set();
    }
    if (modified === this.#newestMs) this.#idsAtNewest.add(id);
  }
}
