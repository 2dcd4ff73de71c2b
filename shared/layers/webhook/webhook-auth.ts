import type { ConnectorStateStore } from '../../adapters/mongo/connector-state-store.ts';
import { UnauthorizedError } from '../../errors.ts';
import type { FunctionEvent } from '../../handler.ts';
import type { Logger } from '../../log.ts';
import type { Resolved } from '../../secrets/secret-ref.ts';
import type { System, WebhookSettings } from '../../metadata/system-schema.ts';
import { isSameSecret } from '../../runtime/call-token.ts';
import { BUNQ_SERVER_KEY_STATE, StoredServerKey } from '../landing/bunq/bunq-context.ts';
import { isValidServerSignature } from '../landing/bunq/bunq-signing.ts';

/** What authentication needs besides the call: where bunq's server key is kept. */
export interface WebhookAuthDeps {
  readonly state: () => Promise<ConnectorStateStore>;
  readonly log: Logger;
}

/** The system a webhook URL names, with its webhook block (token resolved); undefined when there is none. */
export interface WebhookTarget {
  readonly system: Pick<System, 'id' | 'type'>;
  readonly webhook: Resolved<WebhookSettings>;
}

/**
 * Checks every authentication the system's webhook settings ask for, and throws `UnauthorizedError` (401) at the
 * first that fails. An unknown system, or one without a webhook, gets the very same answer: a caller without
 * credentials cannot tell which systems exist. Which check failed goes to the log, never the token.
 * - `token`: `Authorization: Bearer <token>`, compared in constant time. Never in the query string, which proxies and
 *   access logs keep.
 * - `signature: bunq`: `X-Bunq-Server-Signature` over the raw body, verified with bunq's server public key, which the
 *   bunq connector stores beside its sealed installation: no API key is needed to check a callback.
 */
export async function authenticateWebhookCall(
  event: Pick<FunctionEvent, 'headers' | 'query' | 'rawBody'>,
  systemId: string,
  target: WebhookTarget | undefined,
  deps: WebhookAuthDeps,
): Promise<void> {
  const refuse = (reason: string): never => {
    deps.log.warn({ reason }, 'webhook call refused');
    throw new UnauthorizedError('webhook call is not authenticated');
  };
  if (target === undefined) return refuse('no system with a webhook by that id');
  const { system, webhook } = target;
  if (webhook.token !== undefined) {
    const presented = bearerToken(event);
    if (presented === undefined) {
      refuse(event.query.token === undefined ? 'no token (Authorization: Bearer)' : 'a token in the query string is not accepted (Authorization: Bearer)');
    } else if (!isSameSecret(presented, webhook.token)) refuse('wrong token');
  }
  if (webhook.signature === 'bunq') {
    if (system.type !== 'bunq') refuse('signature "bunq" on a system that is not of type bunq');
    const stored = StoredServerKey.safeParse(await (await deps.state()).read(BUNQ_SERVER_KEY_STATE, system.id));
    if (!stored.success) refuse('no bunq server key to verify the signature with (run the connector once)');
    else if (!isValidServerSignature(event.rawBody, header(event, 'x-bunq-server-signature'), stored.data.server_public_key_pem)) {
      refuse('X-Bunq-Server-Signature does not verify');
    }
  }
}

function bearerToken(event: Pick<FunctionEvent, 'headers'>): string | undefined {
  const authorization = header(event, 'authorization');
  return authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
}

function header(event: Pick<FunctionEvent, 'headers'>, name: string): string | undefined {
  const value = event.headers[name];
  return value === undefined || value === '' ? undefined : value;
}
