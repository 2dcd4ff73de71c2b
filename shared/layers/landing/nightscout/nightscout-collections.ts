/** The Nightscout collections a connector reads, how API v1 filters each by date, and how records are keyed. */
export const NIGHTSCOUT_COLLECTIONS = ['entries', 'treatments', 'devicestatus', 'profile'] as const;
export type NightscoutCollection = (typeof NIGHTSCOUT_COLLECTIONS)[number];

/** The collections read through API v3's change feed as well (profile is read whole every batch: a full load). */
export const HISTORY_COLLECTIONS = ['entries', 'treatments', 'devicestatus'] as const;
export type HistoryCollection = (typeof HISTORY_COLLECTIONS)[number];

/** A collection read as a delta by date: which field, and whether it holds epoch ms or an ISO string. */
export interface DatedCollection {
  readonly collection: Exclude<NightscoutCollection, 'profile'>;
  /** The API path below `/api/v1`. */
  readonly path: string;
  /** The field Nightscout filters and sorts on (newest first). */
  readonly dateField: 'date' | 'created_at';
  /** `date` of entries is epoch ms (the API casts the filter to an integer); `created_at` is an ISO string. */
  readonly isEpoch: boolean;
}

/** How entries, treatments and devicestatus are paged (sources.md §A.1). */
export const DATED_COLLECTIONS: Readonly<Record<DatedCollection['collection'], DatedCollection>> = {
  entries: { collection: 'entries', path: 'entries.json', dateField: 'date', isEpoch: true },
  treatments: { collection: 'treatments', path: 'treatments.json', dateField: 'created_at', isEpoch: false },
  devicestatus: { collection: 'devicestatus', path: 'devicestatus.json', dateField: 'created_at', isEpoch: false },
};

/** The filter value of an instant for a collection's date field: epoch ms, or `toISOString()` (what the API normalises to). */
export function dateFilterValue(collection: DatedCollection, timeMs: number): string {
  return collection.isEpoch ? String(timeMs) : new Date(timeMs).toISOString();
}

/**
 * The instant a record's date field holds, in epoch ms; `undefined` when it has none a connector can read.
 * Entries' `date` is a number; `created_at` an ISO string (the server stores `toISOString()`, so ms are exact).
 */
export function readRecordDate(collection: DatedCollection, record: Readonly<Record<string, unknown>>): number | undefined {
  const value = record[collection.dateField];
  if (collection.isEpoch) return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * A document's identity across both APIs: API v3's `identifier`, else the v1 `_id`. API v3 answers without `_id`
 * and names a document created through v1 by its `_id`; v1 answers keep the `identifier` a v3 client stored. The
 * models key on the same choice (`source: ['identifier', '_id']`).
 */
export function readRecordKey(record: Readonly<Record<string, unknown>>): string | undefined {
  const identifier = record.identifier;
  return typeof identifier === 'string' && identifier !== '' ? identifier : readRecordId(record);
}

/** A record's `_id` as a string (Nightscout's 24-hex ObjectId), or `undefined`. */
export function readRecordId(record: Readonly<Record<string, unknown>>): string | undefined {
  const id = record._id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
