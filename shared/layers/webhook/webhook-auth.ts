import { createHash, timingSafeEqual } from 'node:crypto';
import type { ConnectorStateStore } from '../../adapters/mongo/connector-state-store.ts';
import { UnauthorizedError } from '../../errors.ts';
import type { FunctionEvent } from '../../handler.ts';
import type { Logger } from '../../log.ts';
import type { Resolved } from '../../secrets/secret-ref.ts';
import type { System, WebhookSettings } from '../../metadata/system-schema.ts';
import { openBunqContext } from '../landing/bunq/bunq-context.ts';
import { isValidServerSignature } from '../landing/bunq/bunq-signing.ts';

/** What authentication needs besides the call: where bunq's server key is kept. */
export interface WebhookAuthDeps {
  readonly state: () => Promise<ConnectorStateStore>;
  readonly log: Logger;
}

/**
 * Checks every authentication the system's webhook settings ask for, and throws `UnauthorizedError` (401) at the
 * first that fails. The answer says only "unauthorized": which check failed goes to the log (without the token).
 * - `token`: `Authorization: Bearer <token>` or `?token=<token>`, compared in constant time.
 * - `signature: bunq`: `X-Bunq-Server-Signature` over the raw body, verified with the server public key of the
 *   bunq connector's installation for this system (kept sealed with the API key).
 */
export async function authenticateWebhookCall(
  event: Pick<FunctionEvent, 'headers' | 'query' | 'rawBody'>,
  system: Resolved<System>,
  settings: Resolved<WebhookSettings>,
  deps: WebhookAuthDeps,
): Promise<void> {
  const refuse = (reason: string): never => {
    deps.log.warn({ reason }, 'webhook call refused');
    throw new UnauthorizedError(`webhook call for ${system.id} is not authenticated`);
  };
  if (settings.token !== undefined) {
    const presented = presentedToken(event);
    if (presented === undefined) refuse('no token (Authorization: Bearer or ?token=)');
    else if (!isSameSecret(presented, settings.token)) refuse('wrong token');
  }
  if (settings.signature === 'bunq') {
    if (system.type !== 'bunq') refuse('signature "bunq" on a system that is not of type bunq');
    else {
      const context = openBunqContext(await (await deps.state()).read('bunq', system.id), system.connection.api_key);
      if (!context) refuse('no bunq installation to verify the signature with (run the connector once)');
      else if (!isValidServerSignature(event.rawBody, header(event, 'x-bunq-server-signature'), context.server_public_key_pem)) {
        refuse('X-Bunq-Server-Signature does not verify');
      }
    }
  }
}

function presentedToken(event: Pick<FunctionEvent, 'headers' | 'query'>): string | undefined {
  const authorization = header(event, 'authorization');
  const bearer = authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (bearer !== undefined) return bearer;
  const query = event.query.token;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

function header(event: Pick<FunctionEvent, 'headers'>, name: string): string | undefined {
  const value = event.headers[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Constant-time comparison of two secrets of any length (their SHA-256 digests are compared). */
export function isSameSecret(presented: string, expected: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
