import { createHash } from 'node:crypto';
import * as z from 'zod';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../../adapters/http/http-client.ts';
import { InvalidPayloadError } from '../../../errors.ts';
import { formatIssue } from '../../../handler.ts';
import type { Connector, ConnectorRequest, LandingItem } from '../connector.ts';
import type { NightscoutBoundary } from './date-window-walk.ts';
import { planDatedStart } from './dated-start.ts';
import { DATED_COLLECTIONS, NIGHTSCOUT_COLLECTIONS, readRecordKey, type HistoryCollection, type NightscoutCollection } from './nightscout-collections.ts';
import { readNightscoutPosition, writeNightscoutPosition, type NightscoutPosition, type NightscoutProgress } from './nightscout-cursor.ts';
import { checkReadAccess, readDated, readProfiles, type CollectionRead } from './nightscout-v1-reads.ts';
import { createV3Client, hasApiV3, JwtCache, type V3Client } from './nightscout-v3-client.ts';
import { readHistory } from './read-history.ts';

/** What a caller may ask: `full` reads every dated collection (and change feed) again from `backfill_from`, ignoring the cursor. */
export const NightscoutOptions = z.strictObject({
  full: z.boolean().optional(),
  /** Pages one dated collection (and, apart, its change feed) may read in this batch. */
  // More pages than a function's timeout could ever read (a page a second at best) is a mistake, not a backfill.
  max_pages: z.int().positive().max(1000).optional(),
});

/** Pages per dated collection and batch by default: with `page_size` 1000, some 40,000 records (about 5 months of entries). */
export const DEFAULT_MAX_PAGES_PER_COLLECTION = 40;

/** HTTP tuning for tests (shorter retries); production uses the client's defaults. */
export interface NightscoutConnectorOptions {
  readonly http?: Pick<HttpClientOptions, 'retry' | 'timeoutMs' | 'rateLimit' | 'clock' | 'random'>;
  /** Pages per collection and batch (default `DEFAULT_MAX_PAGES_PER_COLLECTION`); `options.max_pages` overrides it. */
  readonly maxPagesPerCollection?: number;
  /** The clock a JWT's expiry is judged by (tests); default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The Nightscout connector (docs/connectors/nightscout.md). It checks access with API v1's `/verifyauth`, then, per
 * collection:
 *
 * - with API v3 (`api`: `v3`, or `auto` with a token on a site that answers `/api/v3/version`), reads the change
 *   feed of entries, treatments and devicestatus from its `srvModified` boundary (`HistoryWalk`): inserts, edits
 *   and `isValid: false` deletions, whatever their dates;
 * - reads entries, treatments and devicestatus through API v1 as deltas by date (`DateWindowWalk`), looking back
 *   the span the entities declare: API v3's feed never shows documents written through API v1 (xDrip+, Loop, the
 *   careportal; nightscout/cgm-remote-monitor#8244), so this read is what lands them. A document the feed landed
 *   in this batch is not landed twice;
 * - reads `profile` (which API v1 cannot filter) whole every batch.
 *
 * Records land unchanged in a landing entity named after their collection. Credentials: `api_secret` as the SHA-1
 * hex `api-secret` header, `token` as `?token=` to API v1 and exchanged for a JWT for API v3 (never logged).
 */
export function createNightscoutConnector(options: NightscoutConnectorOptions = {}): Connector<'nightscout'> {
  const jwts = new JwtCache(); // one per process: a warm function reuses its JWT until it is nearly expired
  const now = options.now ?? Date.now;
  return {
    type: 'nightscout',
    async openBatch(request) {
      const parsed = NightscoutOptions.safeParse(request.options);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(formatIssue);
        throw new InvalidPayloadError(`nightscout options: ${issues.join('; ')}`, issues);
      }
      const { connection } = request.system;
      const site = connection.base_url.replace(/\/+$/, '');
      const http = createHttpClient({
        source: 'nightscout',
        baseUrl: `${site}/api/v1`,
        log: request.log,
        headers: connection.api_secret === undefined ? {} : { 'api-secret': createHash('sha1').update(connection.api_secret).digest('hex') },
        secretQueryParams: ['token', 'secret'],
        ...options.http,
      });
      const auth: Record<string, string> = connection.token === undefined ? {} : { token: connection.token };
      await checkReadAccess(http, auth, request.signal);
      const v3 = await openApiV3(request, options, jwts, now);
      request.log.info({ api: v3 ? 'v3' : 'v1' }, 'nightscout api chosen');

      const previous = readNightscoutPosition(request.cursor);
      if (request.cursor?.position && !previous) request.log.warn('nightscout cursor position unreadable; starting each collection at the cursor window end');
      const callerStartMs = parsed.data.full === true ? initialMs(request) : hasCallerWindow(request) ? (request.window.start?.getTime() ?? initialMs(request)) : undefined;
      const pageBudget = parsed.data.max_pages ?? options.maxPagesPerCollection ?? DEFAULT_MAX_PAGES_PER_COLLECTION;
      const collections = collectionsToRead(request);
      const progress: NightscoutProgress = { collections: {}, history: {}, lookback_at: {} };
      const context: ReadContext = { http, auth, request, previous, callerStartMs, pageBudget, progress };

      async function* records(): AsyncGenerator<LandingItem> {
        for (const collection of collections) {
          if (collection === 'profile') yield* readProfiles(http, auth, request);
          else yield* readCollection(collection, v3, context);
        }
      }

      return {
        kind: 'records',
        description: `${collections.join(', ')} until ${request.window.end.toISOString()}${v3 ? ' (with the API v3 change feed)' : ''}`,
        records: records(),
        nextCursor: () => {
          const cursorEnd = request.cursor?.window_end.getTime();
          if (cursorEnd !== undefined && request.window.end.getTime() < cursorEnd) return undefined; // a replay of the past
          return { window_start: request.window.start, window_end: request.window.end, position: writeNightscoutPosition(previous, progress) };
        },
      };
    },
  };
}

/** What reading one collection needs, and where it records how far it got. */
interface ReadContext {
  readonly http: HttpClient;
  readonly auth: Record<string, string>;
  readonly request: ConnectorRequest<'nightscout'>;
  readonly previous: NightscoutPosition | undefined;
  /** The caller's window start (or `backfill_from` for `full`): every read starts there. */
  readonly callerStartMs: number | undefined;
  readonly pageBudget: number;
  /** Filled in collection by collection; read by `nextCursor`. */
  readonly progress: NightscoutProgress;
}

/** One dated collection: its change feed first (API v3), then its dated delta (API v1), with the look-back due. */
async function* readCollection(collection: HistoryCollection, v3: V3Client | undefined, context: ReadContext): AsyncGenerator<LandingItem> {
  const { request, previous, progress } = context;
  const fromFeed = new Set<string>();
  if (v3) {
    const from: NightscoutBoundary = context.callerStartMs !== undefined
      ? { since_ms: context.callerStartMs, ids_at_since: [] }
      : (previous?.history[collection] ?? { since_ms: initialMs(request), ids_at_since: [] });
    const read = yield* readHistory(v3, collection, from, request, context.pageBudget, fromFeed);
    progress.history[collection] = read.boundary;
    logRead(request, collection, 'history', from, read);
  }
  const lookback = request.lookback?.[collection];
  const start = planDatedStart({
    ...(context.callerStartMs === undefined ? {} : { callerStartMs: context.callerStartMs }),
    ...(previous?.collections[collection] ? { kept: previous.collections[collection] } : {}),
    ...(request.cursor && !previous ? { lostPositionAtMs: request.cursor.window_end.getTime() } : {}),
    initialMs: initialMs(request),
    ...(lookback ? { lookback } : {}),
    ...(previous?.lookback_at[collection] === undefined ? {} : { lastLookbackMs: previous.lookback_at[collection] }),
    batchMs: request.batch_timestamp.getTime(),
  });
  const isLanded = (record: Record<string, unknown>): boolean => fromFeed.has(readRecordKey(record) ?? '');
  const read = yield* readDated(context.http, context.auth, DATED_COLLECTIONS[collection], start.from, request, context.pageBudget, isLanded);
  progress.collections[collection] = read.boundary;
  // a look-back cut short by the page budget is not done: it is due again next batch
  if (start.lookbackAtMs !== undefined && read.isComplete) progress.lookback_at[collection] = start.lookbackAtMs;
  logRead(request, collection, start.lookbackAtMs === undefined ? 'dated' : 'dated, looking back', start.from, read);
}

/** Whether API v3's change feed is read: `v3`, or `auto` with a token on a site that has it. */
async function openApiV3(request: ConnectorRequest<'nightscout'>, options: NightscoutConnectorOptions, jwts: JwtCache, now: () => number): Promise<V3Client | undefined> {
  const { connection } = request.system;
  if (connection.api === 'v1' || connection.token === undefined) return undefined;
  const site = connection.base_url.replace(/\/+$/, '');
  if (connection.api === 'auto') {
    const probe = createHttpClient({ source: 'nightscout', baseUrl: `${site}/api/v3`, log: request.log, ...options.http });
    if (!(await hasApiV3(probe, request.signal))) return undefined;
  }
  return createV3Client({ siteUrl: site, accessToken: connection.token, log: request.log, cache: jwts, now, ...(options.http ? { http: options.http } : {}) });
}

function logRead(request: ConnectorRequest<'nightscout'>, collection: string, read: string, from: NightscoutBoundary, result: CollectionRead): void {
  request.log.info(
    { collection, read, records: result.landed, pages: result.pages, since: new Date(from.since_ms).toISOString(), complete: result.isComplete },
    'nightscout collection read',
  );
}

/** Where a first read starts: `backfill_from` (UTC midnight), or the beginning. */
function initialMs(request: ConnectorRequest<'nightscout'>): number {
  const backfillFrom = request.system.connection.backfill_from;
  return backfillFrom === undefined ? 0 : Date.parse(`${backfillFrom}T00:00:00.000Z`);
}

/** The configured collections, plus any landing entity an entity reads that the configuration left out. */
function collectionsToRead(request: ConnectorRequest<'nightscout'>): NightscoutCollection[] {
  const wanted = new Set<string>([...request.system.connection.collections, ...request.landing_entities]);
  return NIGHTSCOUT_COLLECTIONS.filter((collection) => wanted.has(collection));
}

/** Whether the caller chose the window (a backfill or replay) instead of the cursor. */
function hasCallerWindow(request: ConnectorRequest<'nightscout'>): boolean {
  const cursorEnd = request.cursor?.window_end.getTime() ?? null;
  return (request.window.start?.getTime() ?? null) !== cursorEnd;
}
