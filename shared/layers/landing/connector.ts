/**
 * The contract between the landing layer and a source connector (docs/landing.md, "Writing a connector").
 * A connector knows its source and nothing about runs, audit rows or MongoDB: it gets a system's settings, the
 * cursor and the batch window, and streams the source's records; `land-system.ts` does everything else.
 */
import type { JsonValue } from '../../core/json.ts';
import type { Logger } from '../../log.ts';
import type { LookbackMs } from '../../metadata/entity-schema.ts';
import type { System, SystemType } from '../../metadata/system-schema.ts';
import type { Resolved } from '../../secrets/secret-ref.ts';

/** A system of one type, with its secret references replaced by their values. Never log it. */
export type ResolvedSystem<Type extends SystemType = SystemType> = Resolved<Extract<System, { type: Type }>>;

/** One source record and the landing entity (MongoDB collection) it goes to. The record is stored unchanged. */
export interface LandingItem {
  /** snake_case (`payments`, `entries`); becomes the collection `<system_id>__<landing_entity>`. */
  readonly landing_entity: string;
  readonly record: JsonValue;
}

/** Where the previous successful landing of the system stopped, from `audit.cursor`. */
export interface ConnectorCursor {
  readonly window_start: Date | null;
  readonly window_end: Date;
  /** A source marker recorded beside the window: the newest id seen, the last file read. */
  readonly position: string | null;
}

/** The time span this batch covers: `start` (exclusive; null: from the beginning) to `end` (inclusive). */
export interface BatchWindow {
  readonly start: Date | null;
  readonly end: Date;
}

/** What a connector is asked: land one batch of one system. */
export interface ConnectorRequest<Type extends SystemType = SystemType> {
  readonly system: ResolvedSystem<Type>;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  /**
   * The landing entities the system's entities read (from `entities.json`). A connector that can choose what
   * to fetch fetches at least these; it may land more (landing keeps what the source has).
   */
  readonly landing_entities: readonly string[];
  /**
   * Per landing entity, the look-back its entities declare (`lookback` in entities.json): how far before the
   * cursor to read again, and how often. Connectors of `LOOKBACK_SYSTEM_TYPES` honour it; metadata refuses it
   * for the others.
   */
  readonly lookback?: Readonly<Record<string, LookbackMs>>;
  /** The cursor of the last successful batch before this one; `undefined` before the first. */
  readonly cursor: ConnectorCursor | undefined;
  /** From the cursor's end (or the caller's start) to the batch timestamp (or the caller's end). */
  readonly window: BatchWindow;
  /**
   * Connector-specific options from the caller's payload (`{"batch": "batch-0003"}` for jsonfile). Parse them
   * with the connector's own strict zod schema; a bad option is an `InvalidPayloadError`.
   */
  readonly options: Readonly<Record<string, JsonValue>>;
  /** The call's logger, with system and batch bound. */
  readonly log: Logger;
  /** Aborted when the function must stop (shutdown, timeout): stop reading and let the error through. */
  readonly signal?: AbortSignal;
}

/** The cursor a successful batch records: where the next batch starts. */
export interface CursorUpdate {
  readonly window_start: Date | null;
  readonly window_end: Date;
  readonly position?: string | null;
}

/** A batch with records to land. */
export interface RecordsBatch {
  readonly kind: 'records';
  /**
   * The source's records, one landing entity after another or interleaved, pulled one at a time so memory does
   * not grow with the batch (an async generator that fetches the next page when the current one is used up).
   * Throwing fails the landing run: nothing of it is read downstream, and the cursor stays.
   */
  readonly records: AsyncIterable<LandingItem>;
  /**
   * Asked once `records` has been read to its end without error: the cursor to record, or `undefined` to leave
   * it as it is (a replay of an older batch must not move it).
   */
  nextCursor(): CursorUpdate | undefined;
  /** What was fetched, for the log (`batch-0003`, `entries since 2026-03-01T00:00Z`). */
  readonly description?: string;
}

/** The source has nothing new: the run is recorded `skipped` with this reason, and nothing is chained. */
export interface NothingNew {
  readonly kind: 'nothing_new';
  readonly reason: string;
}

export type ConnectorBatch = RecordsBatch | NothingNew;

/**
 * A source connector: one per system type (`jsonfile`, `nightscout`, `bunq`). It talks to the source through the
 * shared HTTP client (`shared/adapters/http/http-client.ts`) where the source speaks HTTP, by composition.
 *
 * Rules: stream (never collect a whole batch), let errors through (typed: `UpstreamUnavailableError` for an
 * unreachable source, `DataRejectedError` for an answer it cannot read, `InvalidPayloadError` for bad options),
 * never log a resolved setting, and derive the next cursor only from what was actually read.
 *
 * @example
 * ```ts
 * export const nightscoutConnector: Connector<'nightscout'> = {
 *   type: 'nightscout',
 *   async openBatch({ system, window, log }) {
 *     const http = createHttpClient({ source: 'nightscout', baseUrl: `${system.connection.base_url}/api/v1`, log });
 *     let newest = window.start;
 *     async function* records(): AsyncGenerator<LandingItem> {
 *       for (const collection of system.connection.collections) {
 *         for await (const page of http.paginate(firstPage(collection, window), nextPage)) {
 *           for (const record of page.data as JsonObject[]) {
 *             newest = later(newest, record);
 *             yield { landing_entity: collection, record };
 *           }
 *         }
 *       }
 *     }
 *     return {
 *       kind: 'records',
 *       records: records(),
 *       nextCursor: () => ({ window_start: window.start, window_end: window.end }),
 *     };
 *   },
 * };
 * ```
 */
export interface Connector<Type extends SystemType = SystemType> {
  readonly type: Type;
  /**
   * Landings of one system take turns: a call finds another landing of the system running, of another batch, and is
   * recorded skipped. For a source whose next batch is chosen from the previous batch's cursor position (jsonfile's
   * next folder), so two calls at once never land, or make, the same one.
   */
  readonly exclusive?: boolean;
  openBatch(request: ConnectorRequest<Type>): Promise<ConnectorBatch>;
}

/** The connectors a function can use, by system type (a connector function registers its own only). */
export type ConnectorRegistry = { readonly [Type in SystemType]?: Connector<Type> };
