import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFault, FaultPlan, readRequestBody, type RecordedRequest } from '../fault-plan.ts';
import { FindQueryError, matchesFind, parseFind, type CollectionQueryRules } from './find-query.ts';
import { authorizeV3, FakeJwtIssuer, historyAnswer, versionAnswer, type FakeAnswer } from './fake-v3.ts';

/**
 * A local Nightscout (cgm-remote-monitor 15.x, API v1 and v3) for tests and for running by hand
 * (`npx tsx dev/fakes/nightscout/main.ts --port 1337`). It reproduces what breaks connectors
 * (`/work/shared/reference/sources.md` §A.6): the small default `count`, newest-first order with ties in no
 * particular order, the silent 4-day window without a date filter, string semantics of `find` values, the
 * `api-secret` (SHA-1 or SHA-512 hex) and `?token=` checks with `AUTH_DEFAULT_ROLES` readable or denied, and the
 * 401 JSON body; and API v3's JWT exchange and change feed (`fake-v3.ts`). Writes say which API made them, with
 * that API's effect: through v3 a document gets `identifier` and `srvModified`, an edit a new `srvModified`, a
 * delete `isValid: false`; through v1 nothing is stamped and a delete removes the document. Tests change its data
 * between calls and arm faults (500, 429, truncated bodies).
 */

/** A stored Nightscout document (any JSON object with an `_id`; API v3 adds `identifier`, `srvModified`, `isValid`). */
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
  /** The server's clock (epoch ms): the implicit 4-day window, API v3's `srvModified` stamps, JWT expiry. */
  readonly now?: () => number;
  readonly data?: Partial<NightscoutData>;
  /** Whether the site has API v3 (default true); without it `/api/v3/*` and `/api/v2/*` answer 404, as before 13.0. */
  readonly v3?: boolean;
  /** Lifetime of the JWTs it issues (default 8 hours, as Nightscout's). */
  readonly jwtLifetimeSeconds?: number;
}

/** Which API a write went through, and so what it stamps (see the module comment). */
export interface WriteOptions {
  readonly via?: 'v1' | 'v3';
}

/** A running fake: its URL, its (mutable) data, the requests it saw, and the faults to arm. */
export interface FakeNightscout {
  readonly url: string;
  readonly port: number;
  readonly data: NightscoutData;
  readonly requests: RecordedRequest[];
  readonly faults: FaultPlan;
  /** Adds documents to a collection (an upload; through v1 unless `via: 'v3'`). */
  insert(collection: NightscoutCollection, documents: readonly NightscoutDocument[], options?: WriteOptions): void;
  /** Changes a document found by `_id` or `identifier` (a careportal or app edit). */
  update(collection: NightscoutCollection, key: string, changes: Readonly<Record<string, unknown>>, options?: WriteOptions): void;
  /** Deletes a document: through v3 a soft delete (`isValid: false`, a new `srvModified`), through v1 gone. */
  remove(collection: NightscoutCollection, key: string, options?: WriteOptions): void;
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
  const jwts = new FakeJwtIssuer(options.jwtLifetimeSeconds ?? 8 * 3600, now);
  const hasV3 = options.v3 ?? true;
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
    send(response, answer.status, answer.body, answer.headers);
  }

  function route(method: string, url: URL, request: IncomingMessage): FakeAnswer {
    const path = url.pathname.replace(/\/+$/, '');
    if (/^\/api\/v[23]\//.test(path)) return routeV3(method, path, url.searchParams, request);
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

  function routeV3(method: string, path: string, params: URLSearchParams, request: IncomingMessage): FakeAnswer {
    const notFound = { status: 404, body: { status: 404, message: 'Not found' } };
    if (!hasV3) return notFound;
    if (method !== 'GET') return { status: 405, body: { status: 405, message: 'Method not allowed' } };
    if (path === '/api/v3/version') return versionAnswer(now());
    const exchange = /^\/api\/v2\/authorization\/request\/([^/]+)$/.exec(path);
    if (exchange) {
      const token = decodeURIComponent(exchange[1] as string);
      return (options.tokens ?? []).includes(token) ? { status: 200, body: jwts.issue(token) } : { status: 401, body: UNAUTHORIZED };
    }
    const history = /^\/api\/v3\/(entries|treatments|devicestatus|profile)\/history(?:\/([^/]+))?$/.exec(path);
    if (!history) return notFound;
    const refused = authorizeV3(request, params, jwts, options.tokens ?? []);
    if (refused) return refused;
    const salt = requestCounter;
    const oldestChangeFirst = (documents: Record<string, unknown>[]) =>
      documents.sort((a, b) => (a.srvModified as number) - (b.srvModified as number) || tieRank(String(a._id), salt) - tieRank(String(b._id), salt));
    return historyAnswer(data[history[1] as NightscoutCollection], history[2] === undefined ? undefined : decodeURIComponent(history[2]), request, params, oldestChangeFirst);
  }

  function find(collection: NightscoutCollection, key: string): NightscoutDocument {
    const document = data[collection].find((candidate) => candidate._id === key || candidate.identifier === key);
    if (!document) throw new Error(`fake nightscout: no ${collection} document ${key}`);
    return document;
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
    insert(collection, documents, write = {}) {
      for (const document of documents) {
        if (write.via !== 'v3') data[collection].push(document);
        else data[collection].push({ ...document, identifier: document.identifier ?? randomUUID(), srvCreated: now(), srvModified: now() });
      }
    },
    update(collection, key, changes, write = {}) {
      Object.assign(find(collection, key), changes, write.via === 'v3' ? { srvModified: now() } : {});
    },
    remove(collection, key, write = {}) {
      const document = find(collection, key);
      if (write.via === 'v3') Object.assign(document, { isValid: false, srvModified: now() });
      else data[collection].splice(data[collection].indexOf(document), 1);
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

function send(response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const bytes = encode(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length), ...headers });
  response.end(bytes);
}
