import { createPublicKey, createSign, createVerify, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyFault, FaultPlan, readRequestBody, type RecordedRequest } from '../fault-plan.ts';
import { pageOf, PagingError, type ListedItem } from './bunq-paging.ts';
import { SlidingWindowLimiter, type RateLimits, BUNQ_RATE_LIMITS } from './rate-limits.ts';

/**
 * A local bunq API v1 for tests and for running by hand (`npx tsx dev/fakes/bunq/main.ts --port 1338`), following
 * sources.md §B.10: installation → device-server → session-server in order with tokens checked per step, a body
 * signature required on session-server (466 without), sessions that expire after `session_timeout` (401 with the
 * `Error` body), every answer signed with a fixed test key (`X-Bunq-Server-Signature` over the body bytes),
 * `X-Bunq-Client-Request-Id` echoed, type-wrapped monetary accounts, payments paged newest first with
 * `older_id`/`newer_id`, and bunq's rate limits when switched on.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
/** The fake's signing key: a fixed RSA key made for tests only, so recorded signatures stay reproducible. */
export const FAKE_SERVER_PRIVATE_KEY_PEM = readFileSync(join(HERE, 'test-server-key.pem'), 'utf8');
/** The public half, as the fake hands it out in `ServerPublicKey`. */
export const FAKE_SERVER_PUBLIC_KEY_PEM = createPublicKey(FAKE_SERVER_PRIVATE_KEY_PEM).export({ type: 'spki', format: 'pem' }).toString();

/** A monetary account of the fake: wrapper type and the wrapped object. */
export interface FakeAccount {
  readonly id: number;
  readonly type: string;
  readonly body: Record<string, unknown>;
}

/** A payment of the fake: id, account and exact JSON text. */
export interface FakePayment extends ListedItem {
  readonly monetary_account_id: number;
}

export interface FakeBunqOptions {
  readonly port?: number;
  readonly host?: string;
  /** The API key device-server and session-server accept. */
  readonly apiKey: string;
  readonly user: { readonly id: number; readonly raw: string; readonly session_timeout: number };
  readonly accounts: readonly FakeAccount[];
  readonly payments: readonly FakePayment[];
  /** bunq's limits (`'bunq'`: GET 3/3 s, POST 5/3 s, session-server 1/30 s), custom ones, or none (default). */
  readonly rateLimits?: 'bunq' | RateLimits | false;
  readonly now?: () => number;
}

export interface FakeBunq {
  readonly url: string;
  /** Base URL of the API, `<url>/v1`, as a system's `base_url`. */
  readonly apiUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  readonly faults: FaultPlan;
  readonly payments: FakePayment[];
  readonly accounts: FakeAccount[];
  /** Callback targets registered through notification-filter-url. */
  readonly notificationFilters: { category: string; notification_target: string }[];
  /** How many installations, devices and sessions clients created. */
  readonly counts: { installations: number; devices: number; sessions: number };
  /** Adds a payment (the source changing between calls). */
  addPayment(payment: FakePayment): void;
  /** Replaces a payment's text (an updated payment). */
  replacePayment(id: number, raw: string): void;
  /** Ends every session now: the next call with a session token gets 401. */
  expireSessions(): void;
  /** Forgets every installation (as if the key were revoked): stored installation tokens stop working. */
  forgetInstallations(): void;
  /** Signs bytes with the fake's key (base64 SHA256withRSA), as bunq signs responses and callbacks. */
  sign(body: Buffer | string): string;
  /** POSTs a signed callback body to `target`, as bunq does for a notification filter. */
  sendCallback(target: string, body: string, options?: { signature?: string | null }): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

interface Installation {
  readonly token: string;
  readonly clientKey: KeyObject;
  deviceSecret?: string;
}

interface Session {
  readonly token: string;
  readonly userId: number;
  expiresAt: number;
}

/** Starts a fake bunq on `127.0.0.1` (port 0 picks a free one). */
export async function startFakeBunq(options: FakeBunqOptions): Promise<FakeBunq> {
  const now = options.now ?? Date.now;
  const requests: RecordedRequest[] = [];
  const faults = new FaultPlan();
  const payments = [...options.payments];
  const accounts = [...options.accounts];
  const notificationFilters: { category: string; notification_target: string }[] = [];
  const counts = { installations: 0, devices: 0, sessions: 0 };
  let installations = new Map<string, Installation>();
  const sessions = new Map<string, Session>();
  let nextId = 9000;
  const limits = options.rateLimits === 'bunq' ? BUNQ_RATE_LIMITS : options.rateLimits || undefined;
  const limiter = limits ? new SlidingWindowLimiter(limits, now) : undefined;

  const sign = (body: Buffer | string): string => createSign('sha256').update(body).sign(FAKE_SERVER_PRIVATE_KEY_PEM, 'base64');

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, request, 500, errorBody(String(error)));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const body = await readRequestBody(request);
    const method = request.method ?? 'GET';
    const record = (status: number): void => {
      requests.push({ method, path: url.pathname, query: url.searchParams, headers: request.headers, body, status });
    };
    const fault = faults.take(method, url.pathname);
    if (fault) {
      // a truncated answer is the real one cut short: the server did the work
      const normalBody = (): Buffer => bodyBytes(route(method, url, request, body).body);
      const handled = await applyFault(fault, response, normalBody, encode);
      if (handled) {
        record(fault.type === 'status' ? fault.status : 200);
        return;
      }
    }
    const answer = route(method, url, request, body);
    record(answer.status);
    reply(response, request, answer.status, answer.body, answer.headers);
  }

  function reply(response: ServerResponse, request: IncomingMessage, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const bytes = bodyBytes(body);
    const requestId = request.headers['x-bunq-client-request-id'];
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(bytes.length),
      'x-bunq-client-response-id': randomUUID(),
      ...(typeof requestId === 'string' ? { 'x-bunq-client-request-id': requestId } : {}),
      'x-bunq-server-signature': sign(bytes),
      ...headers,
    });
    response.end(bytes);
  }

  function route(method: string, url: URL, request: IncomingMessage, body: Buffer): { status: number; body: unknown; headers?: Record<string, string> } {
    const path = url.pathname.replace(/\/+$/, '');
    if (!path.startsWith('/v1/')) return { status: 404, body: errorBody('Route not found.') };
    const endpoint = path.slice(3);
    if (limiter) {
      const bucket = endpoint === '/session-server' ? 'sessionServer' : method === 'GET' ? 'get' : method === 'PUT' ? 'put' : 'post';
      const verdict = limiter.take(bucket);
      if (!verdict.allowed) {
        return {
          status: 429,
          body: errorBody(`Too many requests. You can do a maximum of ${verdict.max} calls per ${verdict.windowMs / 1000} second to this endpoint.`),
          headers: { 'retry-after': String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) },
        };
      }
    }
    const auth = headerValue(request, 'x-bunq-client-authentication');
    if (method === 'POST' && endpoint === '/installation') return installation(body);
    if (method === 'POST' && endpoint === '/device-server') return deviceServer(auth, body);
    if (method === 'POST' && endpoint === '/session-server') return sessionServer(auth, request, body);
    const session = auth === undefined ? undefined : sessions.get(auth);
    if (!session || session.expiresAt <= now()) {
      return { status: 401, body: errorBody('Insufficient authorisation.') };
    }
    session.expiresAt = now() + options.user.session_timeout * 1000; // any call extends the session
    try {
      return resource(method, endpoint, url.searchParams, session, body);
    } catch (error) {
      if (error instanceof PagingError) return { status: 400, body: errorBody(error.message) };
      throw error;
    }
  }

  function installation(body: Buffer): { status: number; body: unknown } {
    const parsed = parseJson(body) as { client_public_key?: unknown } | undefined;
    let clientKey: KeyObject;
    try {
      clientKey = createPublicKey(String(parsed?.client_public_key));
    } catch {
      return { status: 400, body: errorBody('The client public key is not a valid PEM public key.') };
    }
    const token = randomBytes(32).toString('hex');
    installations.set(token, { token, clientKey });
    counts.installations += 1;
    const stamp = timestamp(now());
    return {
      status: 200,
      body: { Response: [{ Id: { id: nextId++ } }, { Token: { id: nextId++, created: stamp, updated: stamp, token } }, { ServerPublicKey: { server_public_key: FAKE_SERVER_PUBLIC_KEY_PEM } }] },
    };
  }

  function deviceServer(auth: string | undefined, body: Buffer): { status: number; body: unknown } {
    const install = auth === undefined ? undefined : installations.get(auth);
    if (!install) return { status: 401, body: errorBody('Insufficient authorisation.') };
    const parsed = parseJson(body) as { secret?: unknown; description?: unknown } | undefined;
    if (parsed?.secret !== options.apiKey) return { status: 400, body: errorBody('User credentials are incorrect. Incorrect API key or IP address.') };
    install.deviceSecret = parsed.secret;
    counts.devices += 1;
    return { status: 200, body: { Response: [{ Id: { id: nextId++ } }] } };
  }

  function sessionServer(auth: string | undefined, request: IncomingMessage, body: Buffer): { status: number; body: unknown } {
    const install = auth === undefined ? undefined : installations.get(auth);
    if (!install) return { status: 401, body: errorBody('Insufficient authorisation.') };
    const signature = headerValue(request, 'x-bunq-client-signature');
    if (signature === undefined) return { status: 466, body: errorBody('Request signature required for this endpoint.') };
    if (!createVerify('sha256').update(body).verify(install.clientKey, signature, 'base64')) {
      return { status: 400, body: errorBody('The request signature is invalid.') };
    }
    const parsed = parseJson(body) as { secret?: unknown } | undefined;
    if (parsed?.secret !== options.apiKey || install.deviceSecret !== options.apiKey) {
      return { status: 400, body: errorBody('User credentials are incorrect. Incorrect API key or IP address.') };
    }
    const token = randomBytes(32).toString('hex');
    sessions.set(token, { token, userId: options.user.id, expiresAt: now() + options.user.session_timeout * 1000 });
    counts.sessions += 1;
    const stamp = timestamp(now());
    return {
      status: 200,
      body: `{"Response":[{"Id":{"id":${nextId++}}},{"Token":{"id":${nextId++},"created":"${stamp}","updated":"${stamp}","token":"${token}"}},${options.user.raw}]}`,
    };
  }

  function resource(method: string, endpoint: string, params: URLSearchParams, session: Session, body: Buffer): { status: number; body: unknown } {
    if (method === 'GET' && endpoint === '/user') return { status: 200, body: `{"Response":[${options.user.raw}]}` };
    const userMatch = /^\/user\/(\d+)(\/.*)?$/.exec(endpoint);
    if (!userMatch || Number(userMatch[1]) !== session.userId) return { status: 404, body: errorBody('Route not found.') };
    const rest = userMatch[2] ?? '';
    if (method === 'GET' && rest === '') return { status: 200, body: `{"Response":[${options.user.raw}]}` };
    if (method === 'POST' && rest === '/notification-filter-url') {
      const parsed = parseJson(body) as { notification_filters?: { category: string; notification_target: string }[] } | undefined;
      notificationFilters.splice(0, notificationFilters.length, ...(parsed?.notification_filters ?? []));
      return { status: 200, body: { Response: [{ Id: { id: nextId++ } }] } };
    }
    if (method !== 'GET') return { status: 405, body: errorBody('Method not allowed.') };
    if (rest === '/monetary-account' || rest === '/monetary-account-bank') {
      const wanted = rest === '/monetary-account' ? accounts : accounts.filter((account) => account.type === 'MonetaryAccountBank');
      const items = wanted.map((account) => ({ id: account.id, raw: JSON.stringify({ [account.type]: account.body }) }));
      return listAnswer(items, endpoint, params);
    }
    const paymentMatch = /^\/monetary-account\/(\d+)\/payment(?:\/(\d+))?$/.exec(rest);
    if (paymentMatch) {
      const accountId = Number(paymentMatch[1]);
      if (!accounts.some((account) => account.id === accountId)) return { status: 404, body: errorBody('Monetary account not found.') };
      const own = payments.filter((payment) => payment.monetary_account_id === accountId);
      if (paymentMatch[2] !== undefined) {
        const one = own.find((payment) => payment.id === Number(paymentMatch[2]));
        return one ? { status: 200, body: `{"Response":[${one.raw}]}` } : { status: 404, body: errorBody('Payment not found.') };
      }
      return listAnswer(own, endpoint, params);
    }
    return { status: 404, body: errorBody('Route not found.') };
  }

  function listAnswer(items: readonly ListedItem[], endpoint: string, params: URLSearchParams): { status: number; body: string } {
    const { page, pagination } = pageOf(items, endpoint, params);
    return { status: 200, body: `{"Response":[${page.map((item) => item.raw).join(',')}],"Pagination":${JSON.stringify(pagination)}}` };
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    apiUrl: `${url}/v1`,
    port,
    requests,
    faults,
    payments,
    accounts,
    notificationFilters,
    counts,
    addPayment: (payment) => void payments.push(payment),
    replacePayment(id, raw) {
      const index = payments.findIndex((payment) => payment.id === id);
      const existing = payments[index];
      if (!existing) throw new Error(`no payment ${id}`);
      payments[index] = { ...existing, raw };
    },
    expireSessions: () => sessions.clear(),
    forgetInstallations() {
      installations = new Map();
      sessions.clear();
    },
    sign,
    sendCallback: (target, body, callbackOptions = {}) => postCallback(target, body, callbackOptions.signature === undefined ? sign(body) : callbackOptions.signature),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function postCallback(target: string, body: string, signature: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(body, 'utf8');
    const outgoing = httpRequest(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(bytes.length),
        'user-agent': 'bunq-callback',
        ...(signature === null ? {} : { 'x-bunq-server-signature': signature }),
      },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(bytes);
  });
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function errorBody(description: string): { Error: { error_description: string; error_description_translated: string }[] } {
  return { Error: [{ error_description: description, error_description_translated: description }] };
}

function timestamp(timeMs: number): string {
  const iso = new Date(timeMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

function bodyBytes(body: unknown): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : encode(body);
}

function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
