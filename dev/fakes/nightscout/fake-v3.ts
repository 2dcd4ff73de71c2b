/**
 * API v3 of the fake Nightscout (`/work/shared/reference/sources.md` §A.4): the access token exchanged for a JWT
 * (`/api/v2/authorization/request/<token>`, HS256 signed with the fake's own key, 8 hours by default), and the
 * change feed `GET /api/v3/{collection}/history/{lastModified}` as cgm-remote-monitor answers it: documents whose
 * **stored** `srvModified` is after the cursor (strictly; `>=` floored to seconds for the `Last-Modified` header
 * form), oldest change first with ties in any order, `limit` (default and maximum 1000), soft-deleted documents
 * (`isValid: false`) included, `_id` replaced by `identifier`, and `Last-Modified` / `ETag: W/"<max srvModified>"`
 * headers on a non-empty page. Documents written through API v1 carry no `srvModified` and never appear
 * (nightscout/cgm-remote-monitor#8244), as on a real site.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** `API3_MAX_LIMIT`. */
export const V3_MAX_LIMIT = 1000;
const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** An answer of the fake: status, JSON body, extra headers. */
export interface FakeAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Issues and checks the fake's JWTs (HS256 with a key of its own). */
export class FakeJwtIssuer {
  readonly #key = randomBytes(32);

  constructor(
    private readonly lifetimeSeconds: number,
    private readonly now: () => number,
  ) {}

  /** The answer to `/api/v2/authorization/request/<accessToken>` for a valid token. */
  issue(accessToken: string): Record<string, unknown> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.lifetimeSeconds;
    const payload = Buffer.from(JSON.stringify({ accessToken, iat, exp })).toString('base64url');
    const token = `${JWT_HEADER}.${payload}.${this.#sign(`${JWT_HEADER}.${payload}`)}`;
    return { token, sub: accessToken.replace(/-[0-9a-f]{16}$/, ''), permissionGroups: [['*']], iat, exp };
  }

  /** Whether a JWT is one of ours, unaltered and not expired. */
  isValid(jwt: string): boolean {
    const [header, payload, signature] = jwt.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return false;
    const expected = Buffer.from(this.#sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
    return exp * 1000 > this.now();
  }

  #sign(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}

/** v3's authentication: a valid JWT as `Authorization: Bearer`, or a valid access token as `?token=`. */
export function authorizeV3(request: IncomingMessage, params: URLSearchParams, jwts: FakeJwtIssuer, tokens: readonly string[]): FakeAnswer | undefined {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
  const token = bearer ?? params.get('token') ?? undefined;
  if (token === undefined) return { status: 401, body: { status: 401, message: 'Missing or bad access token or JWT' } };
  if (jwts.isValid(token) || tokens.includes(token)) return undefined;
  return { status: 401, body: { status: 401, message: 'Bad access token or JWT' } };
}

/** One history request: the cursor from the path (`> it`) or the `Last-Modified` header (`>=` it, floored to seconds). */
export function historyAnswer(
  documents: readonly Record<string, unknown>[],
  cursor: string | undefined,
  request: IncomingMessage,
  params: URLSearchParams,
  order: (documents: Record<string, unknown>[]) => Record<string, unknown>[],
): FakeAnswer {
  const limitText = params.get('limit');
  const limit = limitText === null ? V3_MAX_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit <= 0 || limit > V3_MAX_LIMIT) return badRequest('Parameter limit out of tolerance');
  let matches: (modified: number) => boolean;
  if (cursor !== undefined) {
    const after = /^\d+$/.test(cursor) ? Number(cursor) : Date.parse(cursor);
    if (Number.isNaN(after)) return badRequest('Bad or missing Last-Modified header/parameter');
    matches = (modified) => modified > after;
  } else {
    const since = Date.parse(request.headers['last-modified'] ?? '');
    if (Number.isNaN(since)) return badRequest('Bad or missing Last-Modified header/parameter');
    const floored = Math.floor(since / 1000) * 1000;
    matches = (modified) => modified >= floored;
  }
  const page = order(documents.filter((document) => typeof document.srvModified === 'number' && matches(document.srvModified))).slice(0, limit);
  if (page.length === 0) return { status: 200, body: { status: 200, result: [] } };
  const newest = Math.max(...page.map((document) => document.srvModified as number));
  return {
    status: 200,
    body: { status: 200, result: page.map(normaliseV3) },
    headers: { 'last-modified': new Date(newest).toUTCString(), etag: `W/"${newest}"` },
  };
}

/** A stored document as API v3 shows it: no `_id`; `identifier` is the stored one, else the `_id`. */
export function normaliseV3(document: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { _id: id, ...rest } = document;
  return { ...rest, identifier: document.identifier ?? id };
}

/** `/api/v3/version`, public. */
export function versionAnswer(now: number): FakeAnswer {
  return { status: 200, body: { status: 200, result: { version: '15.0.7', apiVersion: '3.0.5', srvDate: now, storage: { storage: 'mongodb', version: '4.4.29' } } } };
}

function badRequest(message: string): FakeAnswer {
  return { status: 400, body: { status: 400, message } };
}
