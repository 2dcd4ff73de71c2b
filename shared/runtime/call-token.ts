/**
 * The platform's call token: the shared secret every function but the webhook asks of its callers, because OpenFaaS
 * never protects `/function/*` routes and the gateway must be reachable for the webhook (docs/security.md). It is the
 * OpenFaaS secret `dataplatform-call-token`; the platform's own callers (outbox delivery, the scheduler, the
 * queue-worker replaying their calls, the CLI) send it as `Authorization: Bearer <token>`, a browser as the password
 * of `Authorization: Basic`. Kept free of dependencies: the template's server reads it in every function.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The OpenFaaS secret's name: `faas-cli secret create dataplatform-call-token`, listed by every function in stack.yml. */
export const CALL_TOKEN_SECRET = 'dataplatform-call-token';

/** A token shorter than this is refused as a setting: it would be guessable. */
export const MIN_CALL_TOKEN_LENGTH = 24;

/**
 * The token of this process: `CALL_TOKEN` (tools on the host), else the secret file in `SECRETS_DIR` (default
 * `/var/openfaas/secrets`, where OpenFaaS mounts it). Undefined when neither is there; throws for one too short.
 */
export function readCallToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let token = env.CALL_TOKEN?.trim();
  let where = 'CALL_TOKEN';
  if (token === undefined || token === '') {
    const file = path.join(env.SECRETS_DIR ?? '/var/openfaas/secrets', CALL_TOKEN_SECRET);
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
    where = file;
  }
  if (token.length < MIN_CALL_TOKEN_LENGTH) throw new RangeError(`the call token in ${where} is shorter than ${MIN_CALL_TOKEN_LENGTH} characters`);
  return token;
}

/** The token a call presents: `Authorization: Bearer <token>`, or the password of `Authorization: Basic`. */
export function presentedCallToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/** Compares two secrets in constant time, whatever their lengths (their SHA-256 digests are compared). */
export function isSameSecret(presented: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** `Authorization` for a call to another function. */
export function callAuthorization(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
