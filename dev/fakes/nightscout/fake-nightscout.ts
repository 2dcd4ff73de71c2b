import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFault, FaultPlan, readRequestBody, type RecordedRequest } from '../fault-plan.ts';
import { FindQueryError, matchesFind, parseFind, type CollectionQueryRules } from './find-query.ts';

/**
 * A local Nightscout (cgm-remote-monitor 15.x, API v1) for tests and for running by hand
 * (`npx tsx dev/fakes/nightscout/main.ts --port 1337`). It reproduces what breaks connectors
 * (`/work/shared/reference/sources.md` §A.6): the small default `count`, newest-first order with ties in no
 * particular order, the silent 4-day window without a date filter, string semantics of `find` values, the
 * `api-secret` (SHA-1 or SHA-512 hex) and `?token=` checks with `AUTH_DEFAULT_ROLES` readable or denied, and the
 * 401 JSON body. Tests change its data between calls and arm faults (500, 429, truncated bodies).
 */

/** A stored Nightscout document (any JSON object with an `_id`). */
export type NightscoutDocument = Record<string, unknown> & { _id: string };

/** The four collections a connector reads. */
export interface NightscoutData {
  entries: NightscoutDocument[];
  treatments: NightscoutDocument[];
  devicestatus: NightscoutDocument[];
  profile: NightscoutDocument[];
}
export type NightscoutCollection = keyof NightscoutData;

export interface FakeNightscoutOptions {
  readonly port?: number;
  readonly host?: string;
  /** The site's `API_SECRET` in plain text; one shorter than 12 characters is ignored, as Nightscout does. */
  readonly apiSecret?: string;
  /** Valid access tokens (`<subject>-<16 hex>`), accepted as `?token=`. */
  readonly tokens?: readonly string[];
  /** `AUTH_DEFAULT_ROLES`: `readable` (default) lets anyone read; `denied` needs a secret or token. */
  readonly authDefaultRoles?: 'readable' | 'denied';
  /** The server's clock (epoch ms), for the implicit 4-day window. */
  readonly now?: () => number;
  readonly data?: Partial<NightscoutData>;
}

/** A running fake: its URL, its (mutable) data, the requests it saw, and the faults to arm. */
export interface FakeNightscout {
  readonly url: string;
  readonly port: number;
  readonly data: NightscoutData;
  readonly requests: RecordedRequest[];
  readonly faults: FaultPlan;
  /** Adds documents to a collection (a source that changes between calls). */
  insert(collection: NightscoutCollection, documents: readonly NightscoutDocument[]): void;
  close(): Promise<void>;
}

const MIN_PASSPHRASE_LENGTH = 12;

const RULES: Readonly<Record<NightscoutCollection, CollectionQueryRules & { sortField: string; defaultCount: number }>> = {
  entries: { dateField: 'date', isEpochDate: true, intFields: ['date', 'sgv'], sortField: 'date', defaultCount: 10 },
  treatments: { dateField: 'created_at', sortField: 'created_at', defaultCount: 100 },
  devicestatus: { dateField: 'created_at', sortField: 'created_at', defaultCount: 10 },
  profile: { sortField: 'startDate', defaultCount: 10 },
};

const UNAUTHORIZED = { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' };

/** Starts a fake Nightscout on `127.0.0.1` (port 0 picks a free one). */
export async function startFakeNightscout(options: FakeNightscoutOptions = {}): Promise<FakeNightscout> {
  const data: NightscoutData = {
    entries: [...(options.data?.entries ?? [])],
    treatments: [...(options.data?.treatments ?? [])],
    devicestatus: [...(options.data?.devicestatus ?? [])],
    profile: [...(options.data?.profile ?? [])],
  };
  const requests: RecordedRequest[] = [];
  const faults = new FaultPlan();
  const now = options.now ?? Date.now;
  const secret = options.apiSecret !== undefined && options.apiSecret.length >= MIN_PASSPHRASE_LENGTH ? options.apiSecret : undefined;
  const secretHashes = secret === undefined ? [] : ['sha1', 'sha512'].map((algorithm) => createHash(algorithm).update(secret).digest('hex'));
  let requestCounter = 0;

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { status: 500, message: String(error) });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const body = await readRequestBody(request);
    const method = request.method ?? 'GET';
    const record = (status: number): void => {
      requests.push({ method, path: url.pathname, query: url.searchParams, headers: request.headers, body, status });
    };
    requestCounter += 1;
    const answer = route(method, url, request);
    const fault = faults.take(method, url.pathname);
    if (fault) {
      const handled = await applyFault(fault, response, () => encode(answer.body), encode);
      if (handled) {
        record(fault.type === 'status' ? fault.status : 200);
        return;
      }
    }
    record(answer.status);
    send(response, answer.status, answer.body);
  }

  function route(method: string, url: URL, request: IncomingMessage): { status: number; body: unknown } {
    const path = url.pathname.replace(/\/+$/, '');
    const access = authorize(request, url.searchParams);
    if (access === 'invalid') return { status: 401, body: UNAUTHORIZED };
    if (method !== 'GET') return { status: 405, body: { status: 405, message: 'Method not allowed' } };
    if (path === '/api/v1/verifyauth') {
      return { status: 200, body: { status: 200, message: verifyAuthMessage(access, options.authDefaultRoles !== 'denied') } };
    }
    if (path === '/api/v1/status' || path === '/api/v1/status.json') return { status: 200, body: statusDocument(now()) };
    if (access === 'none' && options.authDefaultRoles === 'denied') return { status: 401, body: UNAUTHORIZED };
    try {
      const list = /^\/api\/v1\/(entries|treatments|devicestatus|profile)(?:\.json)?(?:\/([^/]+?))?(?:\.json)?$/.exec(path);
      if (!list) return { status: 404, body: { status: 404, message: 'Not found' } };
      const collection = list[1] as NightscoutCollection;
      const spec = list[2];
      return { status: 200, body: listDocuments(collection, spec, url.searchParams) };
    } catch (error) {
      if (error instanceof FindQueryError) return { status: 400, body: { status: 400, message: error.message } };
      throw error;
    }
  }

  function listDocuments(collection: NightscoutCollection, spec: string | undefined, params: URLSearchParams): unknown {
    const rules = RULES[collection];
    if (collection === 'profile') {
      const sorted = sortNewestFirst(data.profile, rules.sortField);
      if (spec === 'current') return sorted[0] ?? null;
      return sorted.slice(0, countParam(params, rules.defaultCount));
    }
    if (collection === 'entries' && spec === 'current') {
      return sortNewestFirst(data.entries.filter((entry) => entry.type === 'sgv'), 'date').slice(0, 1);
    }
    if (collection === 'entries' && spec !== undefined && /^[0-9a-f]{24}$/i.test(spec)) {
      return data.entries.filter((entry) => entry._id === spec);
    }
    const filters = parseFind(params, rules, now());
    let documents = data[collection].filter((document) => matchesFind(document, filters));
    if (collection === 'entries' && spec !== undefined) documents = documents.filter((entry) => entry.type === spec);
    const hasFind = [...params.keys()].some((name) => name.startsWith('find['));
    const defaultCount = collection === 'treatments' && hasFind ? 1000 : rules.defaultCount;
    const page = sortNewestFirst(documents, rules.sortField).slice(0, countParam(params, defaultCount));
    // v1 passes carbs and insulin through Number(): absent → NaN → null in JSON, "12" → 12
    return collection === 'treatments' ? page.map((t) => ({ ...t, carbs: Number(t.carbs), insulin: Number(t.insulin) })) : page;
  }

  /** Newest first; documents with the same sort value come in an order that changes from request to request. */
  function sortNewestFirst(documents: readonly NightscoutDocument[], field: string): NightscoutDocument[] {
    const salt = requestCounter;
    return [...documents].sort((a, b) => {
      const left = a[field] as string | number | undefined;
      const right = b[field] as string | number | undefined;
      if (left !== right) return (right ?? '') > (left ?? '') ? 1 : -1;
      return tieRank(a._id, salt) - tieRank(b._id, salt);
    });
  }

  function authorize(request: IncomingMessage, params: URLSearchParams): 'full' | 'none' | 'invalid' {
    const header = request.headers['api-secret'];
    const presented = (Array.isArray(header) ? header[0] : header) ?? params.get('secret') ?? undefined;
    const token = params.get('token') ?? undefined;
    if (presented === undefined && token === undefined) return 'none';
    if (presented !== undefined && secretHashes.includes(presented.toLowerCase())) return 'full';
    if (token !== undefined && (options.tokens ?? []).includes(token)) return 'full';
    return 'invalid';
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    data,
    requests,
    faults,
    insert(collection, documents) {
      data[collection].push(...documents);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function countParam(params: URLSearchParams, fallback: number): number {
  const parsed = Number.parseInt(params.get('count') ?? '', 10);
  return Number.isNaN(parsed) || parsed <= 0 ? fallback : parsed;
}

function tieRank(id: string, salt: number): number {
  return createHash('sha1').update(`${salt}:${id}`).digest().readUInt32BE(0);
}

function verifyAuthMessage(access: 'full' | 'none', isReadable: boolean): Record<string, unknown> {
  return access === 'full'
    ? { canRead: true, canWrite: true, isAdmin: true, message: 'OK', rolefound: 'FOUND', permissions: 'ROLE' }
    : { canRead: isReadable, canWrite: false, isAdmin: false, message: 'UNAUTHORIZED', rolefound: 'NOTFOUND', permissions: 'DEFAULT' };
}

function statusDocument(now: number): Record<string, unknown> {
  return {
    status: 'ok', name: 'nightscout', version: '15.0.7', serverTime: new Date(now).toISOString(), serverTimeEpoch: now,
    apiEnabled: true, careportalEnabled: true, boluscalcEnabled: false,
    settings: { units: 'mg/dl', timeFormat: 24, customTitle: 'Fake Nightscout', nightMode: false, theme: 'default' },
    extendedSettings: {}, authorized: null,
  };
}

function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const bytes = encode(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) });
  response.end(bytes);
}
