/**
 * What the Nightscout connector reads through API v1: the connection test, a dated collection's delta (weekly
 * chunks walked with the boundary rule of `DateWindowWalk`), and the whole profile collection.
 */
import * as z from 'zod';
import type { HttpClient } from '../../../adapters/http/http-client.ts';
import type { JsonValue } from '../../../core/json.ts';
import { UpstreamError } from '../../../errors.ts';
import type { ConnectorRequest, LandingItem } from '../connector.ts';
import { DateWindowWalk, MAX_PAGE_SIZE, type NightscoutBoundary } from './date-window-walk.ts';
import type { DatedCollection } from './nightscout-collections.ts';

/** A backfill is read in chunks of a week, oldest first, so a batch that runs out of pages keeps what it read. */
export const CHUNK_MS = 7 * 86_400_000;
/** After an empty chunk the next one doubles, up to this: years without data cost few requests. */
export const MAX_CHUNK_MS = 8 * CHUNK_MS;

const Documents = z.array(z.record(z.string(), z.unknown()), { error: 'expected a list of documents' });
const VerifyAuth = z.looseObject({ message: z.looseObject({ canRead: z.boolean().optional() }).or(z.string()) });

/** How far a read went in this batch (a dated collection, or a change feed). */
export interface CollectionRead {
  readonly boundary: NightscoutBoundary;
  /** Records handed out to land. */
  readonly landed: number;
  readonly pages: number;
  /** Whether the read reached its end (else the page budget ran out and the next batch continues). */
  readonly isComplete: boolean;
}

/** The connection test: `/verifyauth` answers 401 for a wrong secret or token, and `canRead: false` when reads are denied. */
export async function checkReadAccess(http: HttpClient, auth: Record<string, string>, signal: AbortSignal | undefined): Promise<void> {
  const answer = await http.requestJson({ path: 'verifyauth', query: auth, ...(signal ? { signal } : {}) }, VerifyAuth);
  if (typeof answer.message === 'object' && answer.message.canRead === false) {
    throw new UpstreamError('nightscout does not let this connector read (AUTH_DEFAULT_ROLES denies it): set api_secret or token', 401);
  }
}

/**
 * Reads a dated collection from `from` to the batch's end in weekly chunks (doubling over empty spans), oldest
 * first, each walked with the boundary rule of `DateWindowWalk`. Once a chunk leaves the page budget spent, no
 * further chunk starts: the boundary then stands at the newest record landed (or at the end of a chunk found
 * empty), and the next batch continues from there. Records `isLanded` says this batch already landed (through
 * the change feed) are not landed again, but count for the boundary.
 */
export async function* readDated(
  http: HttpClient,
  auth: Record<string, string>,
  spec: DatedCollection,
  from: NightscoutBoundary,
  request: ConnectorRequest<'nightscout'>,
  maxPages: number,
  isLanded: (record: Record<string, unknown>) => boolean = () => false,
): AsyncGenerator<LandingItem, CollectionRead> {
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
      for (const record of outcome.fresh) {
        if (isLanded(record)) continue;
        landed += 1;
        yield { landing_entity: spec.collection, record: record as JsonValue };
      }
      isDone = outcome.isDone;
    }
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
    if (isLast) return { boundary, landed, pages, isComplete: true };
    if (pages >= maxPages) return { boundary, landed, pages, isComplete: false };
    chunkEnd = Math.min(until, chunkEnd + chunkMs);
  }
}

/**
 * Every profile document: `/profile` takes no filter, only `count` (default 10), so ask for a page and double it
 * until an answer comes back short, then land that whole answer (profiles are few; a Loop user's may be large).
 */
export async function* readProfiles(http: HttpClient, auth: Record<string, string>, request: ConnectorRequest<'nightscout'>): AsyncGenerator<LandingItem> {
  for (let count = request.system.connection.page_size; ; count *= 2) {
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

export function signalOf(request: ConnectorRequest<'nightscout'>): { signal?: AbortSignal } {
  return request.signal ? { signal: request.signal } : {};
}
