import { UpstreamError } from '../../../errors.ts';
import { dateFilterValue, readRecordDate, readRecordId, type DatedCollection } from './nightscout-collections.ts';

/**
 * Where a collection's delta stands: the newest date landed (epoch ms) and the ids landed at exactly that date.
 * Stored as the cursor's `window_end` and, as JSON, its `position`.
 */
export interface NightscoutBoundary {
  readonly since_ms: number;
  readonly ids_at_since: readonly string[];
}

/** The window one run reads: from the boundary (inclusive, minus its ids) to `until_ms` (inclusive). */
export interface WalkWindow {
  readonly from: NightscoutBoundary;
  readonly until_ms: number;
}

/** What a page adds: the records to land (never one landed before), and whether the window is exhausted. */
export interface PageOutcome {
  readonly fresh: Record<string, unknown>[];
  readonly isDone: boolean;
}

/** The largest `count` the walk asks for when one instant holds more records than a page. */
export const MAX_PAGE_SIZE = 100_000;

/**
 * Walks one collection's window backwards in time, page by page, the only order Nightscout v1 offers (newest
 * first, `count` per request). The boundary rule (docs/connectors/nightscout.md):
 *
 * - Every request filters `date >= from` and `date <= upper`, `upper` starting at the run's `until_ms`
 *   (records dated in the future wait until their time has come, so a wrong clock cannot push the cursor ahead).
 * - After a full page whose oldest date is `D`, the next request uses `upper = D` (inclusive) and drops the ids
 *   already seen at `D`: records sharing `D` that did not fit on the page are not skipped, and those that did are
 *   not landed twice. Ties come back in any order, so a page made only of records at `upper` proves nothing: the
 *   page size is doubled until the instant fits on one page.
 * - A record at exactly `from` whose id the previous run landed (`ids_at_since`) is dropped; one that arrived
 *   since is landed.
 * - The new boundary is the newest date landed and every id landed at it (plus the previous ids when it did not
 *   move), so the next run starts there with `$gte`: nothing at the boundary is lost or repeated.
 *
 * Pure: the caller sends `query()`, passes the answer to `accept()`, and reads `boundary()` at the end.
 */
export class DateWindowWalk {
  readonly #collection: DatedCollection;
  readonly #fromMs: number;
  readonly #idsAtFrom: ReadonlySet<string>;
  #pageSize: number;
  #upperMs: number;
  #idsAtUpper = new Set<string>();
  #newestMs: number | undefined;
  #idsAtNewest = new Set<string>();
  #landed = 0;

  constructor(collection: DatedCollection, window: WalkWindow, pageSize: number) {
    this.#collection = collection;
    this.#fromMs = window.from.since_ms;
    this.#idsAtFrom = new Set(window.from.ids_at_since);
    this.#upperMs = window.until_ms;
    this.#pageSize = pageSize;
  }

  /** The query parameters of the next request (`find[<field>][$gte]`, `[$lte]`, `count`). */
  query(): Record<string, string> {
    const field = this.#collection.dateField;
    return {
      [`find[${field}][$gte]`]: dateFilterValue(this.#collection, this.#fromMs),
      [`find[${field}][$lte]`]: dateFilterValue(this.#collection, this.#upperMs),
      count: String(this.#pageSize),
    };
  }

  /** Takes the answer to `query()`; returns what to land and whether another request is needed. */
  accept(page: readonly Record<string, unknown>[]): PageOutcome {
    const fresh: Record<string, unknown>[] = [];
    let oldestMs: number | undefined;
    const idsAtOldest = new Set<string>();
    for (const record of page) {
      const dateMs = readRecordDate(this.#collection, record);
      const id = readRecordId(record);
      if (dateMs !== undefined) {
        if (oldestMs === undefined || dateMs < oldestMs) {
          oldestMs = dateMs;
          idsAtOldest.clear();
        }
        if (dateMs === oldestMs && id !== undefined) idsAtOldest.add(id);
      }
      if (id !== undefined && dateMs === this.#upperMs && this.#idsAtUpper.has(id)) continue;
      if (id !== undefined && dateMs === this.#fromMs && this.#idsAtFrom.has(id)) continue;
      fresh.push(record);
      this.#noteLanded(dateMs, id);
    }
    if (page.length < this.#pageSize) return { fresh, isDone: true };
    if (oldestMs === undefined) {
      throw new UpstreamError(`nightscout ${this.#collection.collection}: a full page without a readable ${this.#collection.dateField}; cannot page`, undefined);
    }
    if (oldestMs === this.#upperMs) {
      // the whole page is one instant: only a page larger than that instant shows all of it
      for (const id of idsAtOldest) this.#idsAtUpper.add(id);
      this.#pageSize *= 2;
      if (this.#pageSize > MAX_PAGE_SIZE) {
        throw new UpstreamError(`nightscout ${this.#collection.collection}: more than ${MAX_PAGE_SIZE} records share one ${this.#collection.dateField}`, undefined);
      }
    } else {
      this.#upperMs = oldestMs;
      this.#idsAtUpper = idsAtOldest;
    }
    return { fresh, isDone: false };
  }

  /** How many records the walk has handed out to land. */
  get landed(): number {
    return this.#landed;
  }

  /** The boundary after the walk: the newest date landed and its ids, or the old boundary when nothing was new. */
  boundary(): NightscoutBoundary {
    if (this.#newestMs === undefined || this.#newestMs < this.#fromMs) {
      return { since_ms: this.#fromMs, ids_at_since: [...this.#idsAtFrom].sort() };
    }
    const ids = new Set(this.#idsAtNewest);
    if (this.#newestMs === this.#fromMs) for (const id of this.#idsAtFrom) ids.add(id);
    return { since_ms: this.#newestMs, ids_at_since: [...ids].sort() };
  }

  #noteLanded(dateMs: number | undefined, id: string | undefined): void {
    this.#landed += 1;
    if (dateMs === undefined) return;
    if (this.#newestMs === undefined || dateMs > this.#newestMs) {
      this.#newestMs = dateMs;
      this.#idsAtNewest = new Set();
    }
    if (dateMs === this.#newestMs && id !== undefined) this.#idsAtNewest.add(id);
  }
}
