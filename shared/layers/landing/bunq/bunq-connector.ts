import * as z from 'zod';
import type { ConnectorStateStore } from '../../../adapters/mongo/connector-state-store.ts';
import type { JsonValue } from '../../../core/json.ts';
import { DataRejectedError, InvalidPayloadError } from '../../../errors.ts';
import { formatIssue } from '../../../handler.ts';
import type { Connector, ConnectorRequest, LandingItem } from '../connector.ts';
import { readPageParams, unwrapItem, type PageParams } from './bunq-envelope.ts';
import { BUNQ_BASE_URLS, BunqSession, type BunqSessionOptions } from './bunq-session.ts';

/** What a caller may ask: `full` reads every payment again (to see payments changed since they were landed). */
export const BunqOptions = z.strictObject({
  full: z.boolean().optional(),
  /** Payment pages this batch may read (each is one request; bunq allows about one a second). */
  // A page a second at bunq's rate: more than this could never finish within a function's timeout.
  max_pages: z.int().positive().max(1000).optional(),
});

/** Payment pages per batch by default: about 40 s under bunq's 3 requests per 3 s, within a 50 s timeout. */
export const DEFAULT_MAX_PAGES_PER_BATCH = 40;

/** The landing entities the bunq connector writes. */
export const BUNQ_LANDING_ENTITIES = { accounts: 'monetary_accounts', payments: 'payments' } as const;

/**
 * The cursor position (JSON in `audit.cursor.position`): the highest payment id landed per monetary account, and
 * for an account whose history is still being read backwards, the id the next batch continues below.
 */
export const BunqPosition = z.strictObject({
  version: z.literal(1),
  accounts: z.record(z.string().regex(/^\d+$/), z.int().positive()),
  backfill: z.record(z.string().regex(/^\d+$/), z.int().positive()).optional(),
});
export type BunqPosition = z.infer<typeof BunqPosition>;

export interface BunqConnectorOptions {
  /** Where the sealed API context is kept between calls (MongoDB `connector_state`). */
  readonly state: ConnectorStateStore;
  readonly now?: () => number;
  /** HTTP tuning for tests (retries, rate limit); production uses bunq's limit and the client's defaults. */
  readonly http?: BunqSessionOptions['http'];
  /** Payment pages per batch (default `DEFAULT_MAX_PAGES_PER_BATCH`); a payload's `options.max_pages` overrides it. */
  readonly maxPagesPerBatch?: number;
}

/**
 * The bunq connector (API v1; docs/connectors/bunq.md). It opens or reuses an API context (`BunqSession`), lands
 * every monetary account as bunq sends it (type-keyed wrappers, unchanged) in `monetary_accounts`, and the
 * payments of the selected accounts in `payments` (`{"Payment":{…}}`, unchanged). Payments are a delta by id:
 * an account with a recorded highest id is read with `newer_id` and its `newer_url`s; one without (or with
 * `full`) is read from the newest page back through the `older_url`s. Every request waits its turn under bunq's
 * limit of 3 per 3 s.
 */
export function createBunqConnector(options: BunqConnectorOptions): Connector<'bunq'> {
  return {
    type: 'bunq',
    async openBatch(request) {
      const parsed = BunqOptions.safeParse(request.options);
      if (!parsed.success) {
        const issues = parsed.error.issues.map(formatIssue);
        throw new InvalidPayloadError(`bunq options: ${issues.join('; ')}`, issues);
      }
      const { connection } = request.system;
      const session = new BunqSession({
        system_id: request.system.id,
        base_url: connection.base_url ?? BUNQ_BASE_URLS[connection.environment],
        api_key: connection.api_key,
        private_key: connection.private_key,
        device_description: connection.device_description,
        permitted_ips: connection.permitted_ips,
        state: options.state,
        log: request.log,
        ...(options.now ? { now: options.now } : {}),
        ...(options.http ? { http: options.http } : {}),
      });
      const userId = await session.userId();
      const previous = readBunqPosition(request);
      const isFull = parsed.data.full === true || hasCallerWindow(request);
      const highest = new Map<string, number>(Object.entries(previous?.accounts ?? {}));
      const backfill = new Map<string, number>(isFull ? [] : Object.entries(previous?.backfill ?? {}));
      const budget = { pagesLeft: parsed.data.max_pages ?? options.maxPagesPerBatch ?? DEFAULT_MAX_PAGES_PER_BATCH };

      async function* records(): AsyncGenerator<LandingItem> {
        const accounts: { id: number; type: string; status: unknown }[] = [];
        const accountPath = `user/${userId}/monetary-account`;
        const accountWalk = newWalk();
        for await (const item of listPages(session, accountPath, { count: connection.page_size }, 'older', { pagesLeft: Number.POSITIVE_INFINITY }, accountWalk, request)) {
          const unwrapped = unwrapItem(item);
          if (!unwrapped || typeof unwrapped.object.id !== 'number') throw new DataRejectedError('bunq monetary-account: an item is not one type-keyed account with an id');
          accounts.push({ id: unwrapped.object.id, type: unwrapped.type, status: unwrapped.object.status });
          yield { landing_entity: BUNQ_LANDING_ENTITIES.accounts, record: item as JsonValue };
        }
        for (const accountId of selectAccounts(accounts, connection.monetary_account_ids)) {
          const key = String(accountId);
          const paymentPath = `${accountPath}/${accountId}/payment`;
          const since = isFull ? undefined : previous?.accounts[key];
          const count = connection.page_size;
          // 1. what is newer than the cursor (or, the first time, everything from the newest page back)
          const newest = newWalk();
          const first: PageParams = since === undefined ? { count } : { count, newer_id: since };
          yield* paymentsOf(listPages(session, paymentPath, first, since === undefined ? 'older' : 'newer', budget, newest, request), accountId);
          if (newest.highest !== undefined) highest.set(key, Math.max(highest.get(key) ?? 0, newest.highest));
          if (since === undefined) {
            if (newest.isComplete) backfill.delete(key);
            else if (newest.lowest !== undefined) backfill.set(key, newest.lowest);
          }
          // 2. a backfill an earlier batch could not finish: further back from where it stopped
          const olderThan = since === undefined ? undefined : backfill.get(key);
          const older = newWalk();
          if (olderThan !== undefined) {
            yield* paymentsOf(listPages(session, paymentPath, { count, older_id: olderThan }, 'older', budget, older, request), accountId);
            if (older.isComplete) backfill.delete(key);
            else if (older.lowest !== undefined) backfill.set(key, older.lowest);
          }
          request.log.info(
            { monetary_account_id: accountId, payments: newest.items + older.items, newer_than: since ?? null, older_than: olderThan ?? null, backfill_left: backfill.has(key) },
            'bunq payments read',
          );
        }
        await session.save();
      }

      return {
        kind: 'records',
        description: isFull ? 'all accounts and payments' : 'all accounts and payments newer than the cursor',
        records: records(),
        nextCursor: () => {
          const sorted = (map: Map<string, number>) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
          const position: BunqPosition = { version: 1, accounts: sorted(highest), ...(backfill.size > 0 ? { backfill: sorted(backfill) } : {}) };
          return { window_start: request.window.start, window_end: request.window.end, position: JSON.stringify(position) };
        },
      };
    },
  };
}

/** How far a walk over one list got: its id range, how many items, and whether it reached the end. */
interface ListWalk {
  items: number;
  lowest: number | undefined;
  highest: number | undefined;
  isComplete: boolean;
}

function newWalk(): ListWalk {
  return { items: 0, lowest: undefined, highest: undefined, isComplete: false };
}

async function* paymentsOf(items: AsyncIterable<Record<string, Record<string, unknown>>>, accountId: number): AsyncGenerator<LandingItem> {
  for await (const item of items) {
    if (typeof unwrapItem(item)?.object.id !== 'number') throw new DataRejectedError(`bunq payments of account ${accountId}: an item has no numeric id`);
    yield { landing_entity: BUNQ_LANDING_ENTITIES.payments, record: item as JsonValue };
  }
}

/**
 * The items of a bunq list, page after page: `older` follows each page's `older_url` (backfill, newest first),
 * `newer` its `newer_url` (delta above a known id) until the URL is `null` or a page is empty. Each page takes one
 * from `budget`; with none left the walk stops early (`walk.isComplete` stays false) and the cursor keeps where
 * it got to, so a long history lands over several batches, each within the function's timeout.
 */
async function* listPages(
  session: BunqSession,
  path: string,
  first: PageParams,
  direction: 'older' | 'newer',
  budget: { pagesLeft: number },
  walk: ListWalk,
  request: ConnectorRequest<'bunq'>,
): AsyncGenerator<Record<string, Record<string, unknown>>> {
  const seen = new Set<string>();
  for (let params: PageParams | undefined = first; params !== undefined; ) {
    if (budget.pagesLeft <= 0) return;
    budget.pagesLeft -= 1;
    request.signal?.throwIfAborted();
    const key = JSON.stringify(params);
    if (seen.has(key)) throw new DataRejectedError(`bunq ${path}: pagination returned to a page already read`);
    seen.add(key);
    const { envelope } = await session.get(path, { ...params });
    for (const item of envelope.Response) {
      const id = unwrapItem(item)?.object.id;
      if (typeof id === 'number') {
        walk.lowest = walk.lowest === undefined ? id : Math.min(walk.lowest, id);
        walk.highest = walk.highest === undefined ? id : Math.max(walk.highest, id);
      }
      walk.items += 1;
      yield item;
    }
    params = envelope.Response.length === 0 ? undefined : readPageParams(direction === 'older' ? envelope.Pagination?.older_url : envelope.Pagination?.newer_url);
  }
  walk.isComplete = true;
}

/** The configured accounts (each must exist), else every active one. */
function selectAccounts(accounts: readonly { id: number; status: unknown }[], configured: readonly number[]): number[] {
  if (configured.length === 0) return accounts.filter((account) => account.status === 'ACTIVE').map((account) => account.id);
  const missing = configured.filter((id) => !accounts.some((account) => account.id === id));
  if (missing.length > 0) throw new DataRejectedError(`bunq has no monetary account ${missing.join(', ')} (connection.monetary_account_ids)`);
  return [...configured];
}

function readBunqPosition(request: ConnectorRequest<'bunq'>): BunqPosition | undefined {
  const position = request.cursor?.position;
  if (!position) return undefined;
  try {
    const parsed = BunqPosition.safeParse(JSON.parse(position));
    if (parsed.success) return parsed.data;
  } catch {
    // unreadable: handled below
  }
  request.log.warn('bunq cursor position unreadable; reading every payment again');
  return undefined;
}

function hasCallerWindow(request: ConnectorRequest<'bunq'>): boolean {
  return (request.window.start?.getTime() ?? null) !== (request.cursor?.window_end.getTime() ?? null);
}
