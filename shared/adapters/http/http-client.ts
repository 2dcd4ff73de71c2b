import type * as z from 'zod';
import { UpstreamError, UpstreamUnavailableError } from '../../errors.ts';
import type { JsonValue } from '../../core/json.ts';
import type { Logger } from '../../log.ts';
import { createRateLimiter, SYSTEM_CLOCK, type Clock, type RateLimit, type RateLimiter } from './rate-limiter.ts';
import { decideRetry, isIdempotentMethod, parseRetryAfter, retrySettings, type AttemptFailure, type RetryOptions } from './retry-policy.ts';
import { sendAttempt, type AttemptOutcome, type RawAnswer } from './send-attempt.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A query value; arrays repeat the parameter, `undefined` and `null` leave it out. */
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

/** One request, relative to the client's base URL. */
export interface HttpRequest {
  /** Default `GET`. */
  readonly method?: HttpMethod;
  /**
   * Appended to the base URL (`user/1/payment` or `/user/1/payment`, with or without a query string). An absolute
   * URL (a next-page link) must be on the base URL's origin: the client never sends its headers elsewhere.
   */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Added to (and overriding) the client's headers for this request. Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body, sent as `application/json`. */
  readonly json?: JsonValue;
  /** A body sent byte for byte (a signed body must reach the source exactly as signed); set its content type. */
  readonly body?: string | Buffer;
  /** May the request be sent again after a failure whose effect is unknown? Default: by method (GET yes, POST no). */
  readonly idempotent?: boolean;
  /** `json` (default): `data` is the parsed body; `text`: `data` is the body as a string. */
  readonly responseType?: 'json' | 'text';
  /** Cancels the request (and any wait before a retry); the caller's reason is thrown as is. */
  readonly signal?: AbortSignal;
}

/** A successful (2xx) answer. */
export interface HttpResponse {
  readonly status: number;
  /** Response headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body byte for byte (to verify a source's response signature). */
  readonly body: Buffer;
  /** The parsed JSON (`undefined` for an empty body), or the text for `responseType: 'text'`. */
  readonly data: unknown;
}

/** Chooses the request for the page after `page`, or `undefined` when `page` was the last. */
export type NextPage = (page: HttpResponse, request: HttpRequest) => HttpRequest | undefined;

/** What a connector has to talk to its source: requests with retries, limits and logs, and pagination. */
export interface HttpClient {
  /** Sends a request, retrying what a retry can fix; resolves with a 2xx answer or throws a platform error. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** `request`, then the JSON body parsed with `schema` (`z.looseObject` keeps the fields landing stores). */
  requestJson<Schema extends z.ZodType>(request: HttpRequest, schema: Schema): Promise<z.output<Schema>>;
  /**
   * Pages through a list: yields the first page's answer, then asks `next` for the following request, until it
   * returns `undefined`. A page is fetched only when the caller asks for it, so memory holds one page at a time.
   */
  paginate(first: HttpRequest, next: NextPage, options?: { readonly maxPages?: number }): AsyncGenerator<HttpResponse, void, undefined>;
}

export interface HttpClientOptions {
  /** The source's name in logs and errors (`nightscout`, `bunq`). */
  readonly source: string;
  /** `https://example.org/api/v1`; credentials in it are never logged. */
  readonly baseUrl: string;
  readonly log: Logger;
  /** Headers sent with every request (credentials go here). Never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Query parameters whose values are secrets (`token`): logged as `[redacted]`. */
  readonly secretQueryParams?: readonly string[];
  /** Secrets that a request path may hold (a token exchanged in the URL): logged and quoted as `[redacted]`. */
  readonly secretPathValues?: readonly string[];
  /** Deadline of one attempt, answer body included. Default 30 s. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Request starts allowed per window (bunq: `{ requests: 3, perMs: 3000 }`); every attempt counts. */
  readonly rateLimit?: RateLimit;
  /** The largest answer body accepted. Default 64 MiB. */
  readonly maxBodyBytes?: number;
  /** Tests: the clock for waits and `Retry-After` dates, and the jitter source. */
  readonly clock?: Clock;
  readonly random?: () => number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_PAGES = 100_000;
/** Sent unless the client or the request says otherwise; `accept` is axios's, which the client used before fetch. */
const DEFAULT_HEADERS: Readonly<Record<string, string>> = { accept: 'application/json, text/plain, */*', 'user-agent': 'dataplatform' };
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

/**
 * Creates the HTTP client connectors share (by composition: a connector has a client). Built on node's `fetch`
 * (send-attempt.ts), it adds what every source needs: a deadline per attempt, retries with full-jitter backoff on 429, 5xx and lost
 * answers (honouring `Retry-After` in seconds or as a date), a sliding-window rate limit, no redirects (so
 * credentials stay with the configured host), and one log line per attempt (method, path, status, ms) without
 * headers or secret query values.
 *
 * @example
 * ```ts
 * const http = createHttpClient({ source: 'nightscout', baseUrl: 'https://ns.example.org/api/v1', log,
 *   headers: { 'api-secret': sha1(secret) }, rateLimit: { requests: 10, perMs: 1000 } });
 * const entries = await http.requestJson({ path: 'entries.json', query: { count: 1000 } }, z.array(z.looseObject({})));
 * ```
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = new URL(options.baseUrl);
  const settings = retrySettings(options.retry);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limiter: RateLimiter | undefined = options.rateLimit ? createRateLimiter(options.rateLimit, clock) : undefined;
  const secretParams = new Set(options.secretQueryParams ?? []);
  const secretValues = options.secretPathValues ?? [];
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  async function request(request: HttpRequest): Promise<HttpResponse> {
    const method = request.method ?? 'GET';
    const url = buildUrl(base, request);
    const where = `${options.source} ${method} ${logPath(url, secretParams, secretValues)}`;
    const idempotent = request.idempotent ?? isIdempotentMethod(method);
    for (let attempt = 1; ; attempt += 1) {
      request.signal?.throwIfAborted();
      const release = await limiter?.acquire();
      const outcome = await sendAttempt({
        method,
        url,
        headers: [DEFAULT_HEADERS, request.json === undefined ? {} : JSON_HEADERS, options.headers ?? {}, request.headers ?? {}],
        body: request.json === undefined ? request.body : JSON.stringify(request.json),
        timeoutMs,
        maxBodyBytes,
        signal: request.signal,
        where,
      }).finally(release);
      const entry = { source: options.source, method, path: logPath(url, secretParams, secretValues), attempt, ms: outcome.ms };
      if (outcome.kind === 'answer' && outcome.response.status >= 200 && outcome.response.status < 300) {
        const parsed = parseBody(outcome.response, request.responseType ?? 'json');
        if (parsed.ok) {
          options.log.info({ ...entry, status: outcome.response.status }, 'http request');
          return parsed.response;
        }
      }
      const failure = classify(outcome, clock.now());
      if (failure === undefined && outcome.kind === 'answer') {
        options.log.warn({ ...entry, status: outcome.response.status }, 'http request refused');
        throw refusal(where, outcome.response.status);
      }
      const failed = failure as AttemptFailure;
      const decision = decideRetry(failed, attempt, idempotent, settings, random);
      const status = outcome.kind === 'answer' ? outcome.response.status : undefined;
      const error = outcome.kind === 'answer' ? (failed.kind === 'transport' ? 'malformed_body' : undefined) : outcome.code;
      options.log.warn(
        { ...entry, status, error, ...(decision.retry ? { retry_in_ms: decision.delayMs } : { gave_up: decision.reason }) },
        'http request failed',
      );
      if (!decision.retry) throw unavailable(where, failed, status, error, decision.reason);
      await waitOrAbort(clock, decision.delayMs, request.signal);
    }
  }

  return {
    request,
    async requestJson(jsonRequest, schema) {
      const response = await request({ ...jsonRequest, responseType: 'json' });
      const parsed = schema.safeParse(response.data);
      if (parsed.success) return parsed.data;
      const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      const where = `${options.source} ${jsonRequest.method ?? 'GET'} ${logPath(buildUrl(base, jsonRequest), secretParams, secretValues)}`;
      throw new UpstreamError(`${where}: the answer does not match what the connector expects: ${issues.join('; ')}`, response.status);
    },
    async *paginate(first, next, paginateOptions = {}) {
      const maxPages = paginateOptions.maxPages ?? DEFAULT_MAX_PAGES;
      const seen = new Set<string>();
      for (let current: HttpRequest | undefined = first, pages = 0; current !== undefined; pages += 1) {
        const key = buildUrl(base, current).href;
        if (seen.has(key)) throw new UpstreamError(`${options.source}: pagination returned to ${logPath(buildUrl(base, current), secretParams, secretValues)}; stopping`, undefined);
        if (pages >= maxPages) throw new UpstreamError(`${options.source}: more than ${maxPages} pages; stopping`, undefined);
        seen.add(key);
        const page = await request(current);
        yield page;
        current = next(page, current);
      }
    },
  };
}

/** Joins the base URL and a request's path and query; refuses an absolute URL on another origin. */
export function buildUrl(base: URL, request: Pick<HttpRequest, 'path' | 'query'>): URL {
  let url: URL;
  if (/^https?:\/\//i.test(request.path)) {
    url = new URL(request.path);
    if (url.origin !== base.origin) {
      throw new UpstreamError(`refusing to send a request to another origin than the configured ${base.protocol}//${base.host}`, undefined);
    }
  } else {
    url = new URL(base.href);
    const [path = '', search] = request.path.split('?', 2);
    url.pathname = `${base.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
    url.search = search ?? '';
  }
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url;
}

/** The path and query for logs and messages: no origin (it may hold credentials), secret values redacted. */
export function logPath(url: URL, secretParams: ReadonlySet<string>, secretPathValues: readonly string[] = []): string {
  const params = new URLSearchParams(url.search);
  for (const name of secretParams) if (params.has(name)) params.set(name, '[redacted]');
  const search = params.toString();
  let path = url.pathname;
  for (const value of secretPathValues) if (value !== '') path = path.replaceAll(encodeURIComponent(value), '[redacted]').replaceAll(value, '[redacted]');
  return search === '' ? path : `${path}?${search.replaceAll('%5Bredacted%5D', '[redacted]')}`;
}

function parseBody(response: RawAnswer, type: 'json' | 'text'): { ok: true; response: HttpResponse } | { ok: false } {
  const { status, headers, body } = response;
  const text = body.toString('utf8');
  if (type === 'text') return { ok: true, response: { status, headers, body, data: text } };
  if (body.length === 0) return { ok: true, response: { status, headers, body, data: undefined } };
  try {
    return { ok: true, response: { status, headers, body, data: JSON.parse(text) as unknown } };
  } catch {
    return { ok: false };
  }
}

/** The retry view of an attempt's outcome; `undefined` for an answer a retry cannot change (4xx, 3xx). */
function classify(outcome: AttemptOutcome, nowMs: number): AttemptFailure | undefined {
  if (outcome.kind === 'no_answer') return { kind: 'transport', sent: outcome.sent };
  const { status } = outcome.response;
  const retryAfter = outcome.response.headers['retry-after'];
  if (status === 429) return { kind: 'rate_limited', retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  if (status >= 500) return { kind: 'server_error', retryAfterMs: parseRetryAfter(retryAfter, nowMs) };
  if (status >= 200 && status < 300) return { kind: 'transport', sent: true }; // a 2xx whose body is not JSON: cut short
  return undefined;
}

function refusal(where: string, status: number): UpstreamError {
  const hint = status >= 300 && status < 400 ? ' (a redirect: set the base URL to the address it points to)' : '';
  return new UpstreamError(`${where} answered ${status}${hint}`, status);
}

function unavailable(
  where: string,
  failure: AttemptFailure,
  status: number | undefined,
  error: string | undefined,
  reason: string,
): UpstreamUnavailableError {
  const what =
    failure.kind === 'rate_limited'
      ? 'answered 429 (rate limited)'
      : failure.kind === 'server_error'
        ? `answered ${status ?? '5xx'}`
        : status !== undefined
          ? `answered ${status} with a body that is not JSON (cut short?)`
          : `gave no whole answer (${error ?? 'network error'})`;
  return new UpstreamUnavailableError(`${where} ${what}; ${reason}`);
}

async function waitOrAbort(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return clock.sleep(ms);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([clock.sleep(ms), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
