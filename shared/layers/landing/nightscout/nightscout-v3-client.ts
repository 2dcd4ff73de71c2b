import { createHash } from 'node:crypto';
import * as z from 'zod';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../../adapters/http/http-client.ts';
import { UpstreamError } from '../../../errors.ts';
import type { Logger } from '../../../log.ts';

/** A JWT is renewed when less than this is left of it (Nightscout issues them for 8 hours). */
export const JWT_RENEW_BEFORE_MS = 15 * 60_000;
/** How long a JWT is trusted when neither the answer nor the token says when it expires. */
const JWT_ASSUMED_LIFETIME_MS = 60 * 60_000;

const Documents = z.array(z.record(z.string(), z.unknown()), { error: 'expected a list of documents' });
/** API v3 wraps results as `{"status": 200, "result": […]}`; early 15.x versions answered the bare list. */
const HistoryAnswer = z.union([Documents, z.looseObject({ result: Documents })]);
const JwtAnswer = z.looseObject({ token: z.string().min(1), exp: z.number().optional() });

/** A JWT and when it expires (epoch ms). */
interface Jwt {
  readonly token: string;
  readonly expiresAtMs: number;
}

/**
 * JWTs by site and access token. The connector keeps one for the life of its process, so a warm function
 * exchanges its token once per JWT lifetime rather than once per batch. Never logged.
 */
export class JwtCache {
  readonly #jwts = new Map<string, Jwt>();

  get(key: string): Jwt | undefined {
    return this.#jwts.get(key);
  }

  set(key: string, jwt: Jwt): void {
    this.#jwts.set(key, jwt);
  }

  delete(key: string): void {
    this.#jwts.delete(key);
  }
}

/** What the API v3 reader needs. */
export interface V3ClientOptions {
  /** The site (`https://ns.example.org`). */
  readonly siteUrl: string;
  /** The access token (`<subject>-<16 hex>`), exchanged for a JWT. */
  readonly accessToken: string;
  readonly log: Logger;
  readonly cache: JwtCache;
  /** The clock JWT expiry is judged by (epoch ms). */
  readonly now: () => number;
  readonly http?: Pick<HttpClientOptions, 'retry' | 'timeoutMs' | 'rateLimit' | 'clock' | 'random'>;
}

/** Reads API v3 with a JWT that it renews before it expires, and once more when the site refuses it (401). */
export interface V3Client {
  /** One page of a collection's change feed (`history/{lastModified}`), as the documents. */
  history(request: { readonly path: string; readonly limit: number }, signal?: AbortSignal): Promise<Record<string, unknown>[]>;
}

/**
 * Whether the site speaks API v3: `GET /api/v3/version` (public) answers 200; a site without it answers 404.
 * Any other failure is thrown: a site that is down must not quietly lose its change feed.
 */
export async function hasApiV3(http: HttpClient, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await http.request({ path: 'version', ...(signal ? { signal } : {}) });
    return true;
  } catch (error) {
    if (error instanceof UpstreamError && error.upstreamStatus === 404) return false;
    throw error;
  }
}

/** The API v3 reader of one site and token. */
export function createV3Client(options: V3ClientOptions): V3Client {
  const site = options.siteUrl.replace(/\/+$/, '');
  const common = { source: 'nightscout', log: options.log, ...options.http };
  // the access token travels in this path only; the client redacts it from logs and messages
  const authorization = createHttpClient({ ...common, baseUrl: `${site}/api/v2/authorization`, secretPathValues: [options.accessToken] });
  const v3 = createHttpClient({ ...common, baseUrl: `${site}/api/v3` });
  const key = createHash('sha256').update(`${site}\n${options.accessToken}`).digest('hex');

  async function jwt(signal: AbortSignal | undefined): Promise<string> {
    const cached = options.cache.get(key);
    if (cached && cached.expiresAtMs - options.now() > JWT_RENEW_BEFORE_MS) return cached.token;
    let answer: z.output<typeof JwtAnswer>;
    try {
      answer = await authorization.requestJson({ path: `request/${encodeURIComponent(options.accessToken)}`, ...(signal ? { signal } : {}) }, JwtAnswer);
    } catch (error) {
      if (error instanceof UpstreamError && error.upstreamStatus === 401) {
        throw new UpstreamError('nightscout refused the access token (401): check token, and that its subject exists', 401, { cause: error });
      }
      throw error;
    }
    const expiresAtMs = answer.exp !== undefined ? answer.exp * 1000 : (expiryOf(answer.token) ?? options.now() + JWT_ASSUMED_LIFETIME_MS);
    options.cache.set(key, { token: answer.token, expiresAtMs });
    options.log.info({ expires_at: new Date(expiresAtMs).toISOString() }, 'nightscout jwt obtained');
    return answer.token;
  }

  async function get(path: string, query: Record<string, number>, signal: AbortSignal | undefined): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      // `Date`: older API v3 versions refuse a request without one (API3_TIME_SKEW_TOLERANCE)
      const headers = { authorization: `Bearer ${await jwt(signal)}`, date: new Date(options.now()).toUTCString() };
      try {
        return (await v3.request({ path, query, headers, ...(signal ? { signal } : {}) })).data;
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        if (error.upstreamStatus === 401 && attempt === 1) {
          options.cache.delete(key); // revoked, or the site's clock disagrees: ask for a new one, once
          continue;
        }
        if (error.upstreamStatus === 403) {
          throw new UpstreamError(`${error.message}: the token's subject needs the read permission for this collection (api:<collection>:read)`, 403, { cause: error });
        }
        throw error;
      }
    }
  }

  return {
    async history(request, signal) {
      const data = await get(request.path, { limit: request.limit }, signal);
      const parsed = HistoryAnswer.safeParse(data);
      if (!parsed.success) throw new UpstreamError(`nightscout GET /api/v3/${request.path}: the answer is not a list of documents`, undefined);
      return Array.isArray(parsed.data) ? parsed.data : parsed.data.result;
    },
  };
}

/** The `exp` claim of a JWT (epoch ms), read without verifying it (the site verifies its own tokens). */
function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
