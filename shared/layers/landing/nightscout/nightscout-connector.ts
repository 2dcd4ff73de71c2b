import { createHash } from 'node:crypto';
import * as z from 'zod';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../../adapters/http/http-client.ts';
import type { JsonValue } from '../../../core/json.ts';
import { InvalidPayloadError, UpstreamError } from '../../../errors.ts';
import { formatIssue } from '../../../handler.ts';
import type { Connector, ConnectorRequest, LandingItem } from '../connector.ts';
import { DateWindowWalk, MAX_PAGE_SIZE, type NightscoutBoundary } from './date-window-walk.ts';
import { DATED_COLLECTIONS, NIGHTSCOUT_COLLECTIONS, type DatedCollection, type NightscoutCollection } from './nightscout-collections.ts';
import { readNightscoutPosition, writeNightscoutPosition, type NightscoutPosition } from './nightscout-cursor.ts';

/** What a caller may ask: `full` reads every dated collection again from `backfill_from`, ignoring the cursor. */
export const NightscoutOptions = z.strictObject({
  full: z.boolean().optional(),
  /** Pages one dated collection may read in this batch (checked between weekly chunks). */
  max_pages: z.int().positive().optional(),
});

/** Pages per dated collection and batch by default: with `page_size` 1000, some 40,000 records (about 5 months of entries). */
export const DEFAULT_MAX_PAGES_PER_COLLECTION = 40;

/** A backfill is read in chunks of a week, oldest first, so a batch that runs out of pages keeps what it read. */
export const CHUNK_MS = 7 * 86_400_000;
/** After an empty chunk the next one doubles, up to this: years without data cost few requests. */
export const MAX_CHUNK_MS = 8 * CHUNK_MS;

/** HTTP tuning for tests (shorter retries); production uses the client's defaults. */
export interface NightscoutConnectorOptions {
  readonly http?: Pick<HttpClientOptions, 'retry' | 'timeoutMs' | 'rateLimit' | 'clock' | 'random'>;
  /** Pages per dated collection and batch (default `DEFAULT_MAX_PAGES_PER_COLLECTION`); `options.max_pages` overrides it. */
  readonly maxPagesPerCollection?: number;
}

const Documents = z.array(z.record(z.string(), z.unknown()), { error: 'expected a list of documents' });
const VerifyAuth = z.looseObject({ message: z.looseObject({ canRead: z.boolean().optional() }).or(z.string()) });

/**
 * The Nightscout connector (API v1; docs/connectors/nightscout.md). It checks access with `/verifyauth`, then reads
 * `entries`, `treatments` and `devicestatus` as deltas by date, always with a date filter (without one, Nightscout
 * silently answers only the last 4 days) and an explicit `count`, walking newest-first pages backwards with the
 * boundary rule of `DateWindowWalk`; `profile` (which the API cannot filter) is read whole every batch. Records
 * land unchanged in a landing entity named after their collection. Credentials: `api_secret` sent as the SHA-1
 * hex `api-secret` header, `token` as `?token=` (never logged).
 */
export function createNightscoutConnector(options: NightscoutConnectorOptions = {}): Connector<'nightscout'> {
  return {
    type: 'nightscout',
    async openBatch(request) {
      const parsed = NightscoutOptions.safeParse(request.options);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(formatIssue);
        throw new InvalidPayloadError(`nightscout options: ${issues.join('; ')}`, issues);
      }
      const { connection } = request.system;
      const http = createHttpClient({
        source: 'nightscout',
        baseUrl: `${connection.base_url.replace(/\/+$/, '')}/api/v1`,
        log: request.log,
        headers: connection.api_secret === undefined ? {} : { 'api-secret': createHash('sha1').update(connection.api_secret).digest('hex') },
        secretQueryParams: ['token', 'secret'],
        ...options.http,
      });
      const auth: Record<string, string> = connection.token === undefined ? {} : { token: connection.token };
      await checkReadAccess(http, auth, request.signal);

      const previous = readNightscoutPosition(request.cursor);
      if (request.cursor?.position && !previous) request.log.warn('nightscout cursor position unreadable; starting each collection at the cursor window end');
      const isCallerWindow = hasCallerWindow(request) || parsed.data.full === true;
      const collections = collectionsToRead(request);
      const boundaries: Partial<Record<DatedCollection['collection'], NightscoutBoundary>> = {};
      const pageBudget = parsed.data.max_pages ?? options.maxPagesPerCollection ?? DEFAULT_MAX_PAGES_PER_COLLECTION;

      async function* records(): AsyncGenerator<LandingItem> {
        for (const collection of collections) {
          if (collection === 'profile') {
            yield* readProfiles(http, auth, connection.page_size, request);
            continue;
          }
          const spec = DATED_COLLECTIONS[collection];
          const from = startBoundary(request, spec, previous, isCallerWindow);
          const read = yield* readDated(http, auth, spec, from, request, pageBudget);
          boundaries[collection] = read.boundary;
          request.log.info(
            { collection, records: read.landed, pages: read.pages, since: new Date(from.since_ms).toISOString(), reached: new Date(read.reachedMs).toISOString(), complete: read.isComplete },
            'nightscout collection read',
          );
        }
      }

      return {
        kind: 'records',
        description: `${collections.join(', ')} until ${request.window.end.toISOString()}`,
        records: records(),
        nextCursor: () => {
          const cursorEnd = request.cursor?.window_end.getTime();
          if (cursorEnd !== undefined && request.window.end.getTime() < cursorEnd) return undefined; // a replay of the past
          return { window_start: request.window.start, window_end: request.window.end, position: writeNightscoutPosition(previous, boundaries) };
        },
      };
    },
  };
}

/** How far a dated collection was read in this batch. */
interface DatedRead {
  readonly boundary: NightscoutBoundary;
  readonly landed: number;
  readonly pages: number;
  /** The end of the last chunk read: the batch's `until` when complete. */
  readonly reachedMs: number;
  readonly isComplete: boolean;
}

/**
 * Reads a dated collection from `from` to the batch's end in weekly chunks (doubling over empty spans), oldest first, each walked with the
 * boundary rule of `DateWindowWalk`. Once a chunk leaves the page budget spent, no further chunk starts: the
 * boundary then stands at the newest record landed (or at the end of a chunk found empty), and the next batch
 * continues from there. Without a budget problem the boundary is the newest record landed, so a reading that
 * arrives late for an instant after it is still picked up.
 */
async function* readDated(
  http: HttpClient,
  auth: Record<string, string>,
  spec: DatedCollection,
  from: NightscoutBoundary,
  request: ConnectorRequest<'nightscout'>,
  maxPages: number,
): AsyncGenerator<LandingItem, DatedRead> {
  const until = request.window.end.getTime();
  let lower = from;
  let boundary = from;
  let landed = 0;
  let pages = 0;
  let chunkMs = CHUNK_MS;
  let chunkEnd = Math.min(until, from.since_ms + chunkMs);
  for (;;) {
    const walk = new DateWindowWalk(spec, { from: lower, until_ms: chunkEnd }, request.system.connection.page_size);
    for (let isDone = false; !isDone; ) {
      request.signal?.throwIfAborted();
      const page = await http.requestJson({ path: spec.path, query: { ...walk.query(), ...auth }, ...signalOf(request) }, Documents);
      pages += 1;
      const outcome = walk.accept(page);
      for (const record of outcome.fresh) yield { landing_entity: spec.collection, record: record as JsonValue };
      isDone = outcome.isDone;
    }
    landed += walk.landed;
    const isLast = chunkEnd >= until;
    if (walk.landed > 0) {
      boundary = walk.boundary();
      lower = boundary;
      chunkMs = CHUNK_MS;
    } else if (!isLast) {
      // nothing in the whole chunk: the next one (and the next batch) may start at its end
      lower = { since_ms: chunkEnd, ids_at_since: [] };
      boundary = lower;
      chunkMs = Math.min(MAX_CHUNK_MS, chunkMs * 2);
    }
    if (isLast) return { boundary, landed, pages, reachedMs: chunkEnd, isComplete: true };
    if (pages >= maxPages) return { boundary, landed, pages, reachedMs: chunkEnd, isComplete: false };
    chunkEnd = Math.min(until, chunkEnd + chunkMs);
  }
}

/** The connection test: `/verifyauth` answers 401 for a wrong secret or token, and `canRead: false` when reads are denied. */
async function checkReadAccess(http: HttpClient, auth: Record<string, string>, signal: AbortSignal | undefined): Promise<void> {
  const answer = await http.requestJson({ path: 'verifyauth', query: auth, ...(signal ? { signal } : {}) }, VerifyAuth);
  if (typeof answer.message === 'object' && answer.message.canRead === false) {
    throw new UpstreamError('nightscout does not let this connector read (AUTH_DEFAULT_ROLES denies it): set api_secret or token', 401);
  }
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

function startBoundary(
  request: ConnectorRequest<'nightscout'>,
  spec: DatedCollection,
  previous: NightscoutPosition | undefined,
  isCallerWindow: boolean,
): NightscoutBoundary {
  const backfillFrom = request.system.connection.backfill_from;
  const initial = backfillFrom === undefined ? 0 : Date.parse(`${backfillFrom}T00:00:00.000Z`);
  if (isCallerWindow) return { since_ms: request.window.start?.getTime() ?? initial, ids_at_since: [] };
  const kept = previous?.collections[spec.collection];
  if (kept) return kept;
  // a collection added since the last batch starts at the beginning; one whose position was lost at the window start
  if (request.cursor && !previous) return { since_ms: request.cursor.window_end.getTime(), ids_at_since: [] };
  return { since_ms: initial, ids_at_since: [] };
}

/**
 * Every profile document: `/profile` takes no filter, only `count` (default 10), so ask for a page and double it
 * until an answer comes back short, then land that whole answer (profiles are few; a Loop user's may be large).
 */
async function* readProfiles(http: HttpClient, auth: Record<string, string>, pageSize: number, request: ConnectorRequest<'nightscout'>): AsyncGenerator<LandingItem> {
  for (let count = pageSize; ; count *= 2) {
    request.signal?.throwIfAborted();
    const profiles = await http.requestJson({ path: 'profile.json', query: { count, ...auth }, ...signalOf(request) }, Documents);
    if (profiles.length < count) {
      for (const record of profiles) yield { landing_entity: 'profile', record: record as JsonValue };
      request.log.info({ collection: 'profile', records: profiles.length }, 'nightscout collection read');
      return;
    }
    if (count * 2 > MAX_PAGE_SIZE) throw new UpstreamError(`nightscout profile: more than ${MAX_PAGE_SIZE} profile documents`, undefined);
  }
}

function signalOf(request: ConnectorRequest<'nightscout'>): { signal?: AbortSignal } {
  return request.signal ? { signal: request.signal } : {};
}
