import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../dev/free-port.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { signWebhookBody } from '../../../shared/core/webhook-signature.ts';
import { UpstreamError, UpstreamUnavailableError } from '../../../shared/errors.ts';
import { runWebhookAction } from '../../../shared/layers/actions/run-webhook-action.ts';
import { createLogger } from '../../../shared/log.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../fixtures/webhook-receiver.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { testMetadata } from '../runtime/test-metadata.ts';
import { failedEvent } from './failed-event.ts';

/** Why bronze failed, in the events of this file. */
const FAILURE = 'check accepted_values(tier) failed';

// The webhook action against local receivers that check the signature as a user's endpoint would.

const SIGNING_KEY = 'signing-key-of-the-home-automation';
const secrets = createEnvSecretStore({ SECRET_HOOK_SIGNING_KEY: SIGNING_KEY, SECRET_HOOK_TOKEN: 'bearer-token-0123456789' });
const lines: string[] = [];
const log = createLogger({ function: 'action-webhook' }, { write: (line: string) => void lines.push(line) });

let db: TestDatabase;
let receiver: WebhookReceiver;
let elsewhere: WebhookReceiver;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startWebhookReceiver(SIGNING_KEY);
  elsewhere = await startWebhookReceiver(SIGNING_KEY);
});

afterAll(async () => {
  await Promise.all([receiver?.close(), elsewhere?.close()]);
  await db?.drop();
});

beforeEach(() => {
  receiver.received.length = 0;
  receiver.answers.length = 0;
  lines.length = 0;
});

function webhookAction(id: string, settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'webhook',
    on: { event: 'entity-layer-processed', statuses: ['failed'] },
    settings: {
      url: `${receiver.url}/hooks/dataplatform`,
      secret: { type: 'secret', key: 'hook/signing_key' },
      headers: { Authorization: { type: 'secret', key: 'hook/token' } },
      timeout_ms: 2_000,
      ...settings,
    },
  };
}

function depsFor(action: Record<string, unknown>, callId = 'call-1') {
  const metadata = testMetadata({ actions: [action] });
  return { db: db.pool, metadata, loader: staticMetadataLoader(metadata, secrets), log, callId };
}

describe('runWebhookAction', () => {
  it('POSTs the event once, signed over timestamp and body, with the headers of the action', async () => {
    const event = failedEvent(FAILURE);
    const outcome = await runWebhookAction({ action_id: 'notify', event }, depsFor(webhookAction('notify')));
    expect(outcome).toMatchObject({ status: 'succeeded', attempt: 1, delivery_id: `notify.${event.run_id}`, http_status: 204 });
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    expect(delivery?.problem).toBeUndefined();
    expect(delivery?.path).toBe('/hooks/dataplatform');
    expect(delivery?.headers['content-type']).toBe('application/json');
    expect(delivery?.headers.authorization).toBe('bearer-token-0123456789');
    expect(delivery?.headers['x-dataplatform-signature']).toBe(
      signWebhookBody(SIGNING_KEY, Number(delivery?.headers['x-dataplatform-timestamp']), delivery?.body ?? ''),
    );
    expect(JSON.parse(delivery?.body ?? '')).toEqual({ delivery_id: `notify.${event.run_id}`, action_id: 'notify', event });
    const runs = await query(db.pool, 'read runs', 'select status, attempt from audit.action_run where event_run_id = $1', [event.run_id]);
    expect(runs.rows).toEqual([{ status: 'succeeded', attempt: 1 }]);
  });

  it('delivers an event that reaches it three times at once once', async () => {
    const event = failedEvent(FAILURE);
    const action = webhookAction('notify_once');
    const outcomes = await Promise.all(['a', 'b', 'c'].map((callId) => runWebhookAction({ action_id: 'notify_once', event }, depsFor(action, callId))));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['skipped', 'skipped', 'succeeded']);
    expect(receiver.received).toHaveLength(1);
  });

  it('tries a 500 again within the call, with the same delivery id and a valid signature', async () => {
    receiver.answers.push({ status: 500 }, { status: 503, headers: { 'retry-after': '0' } });
    const event = failedEvent(FAILURE);
    const outcome = await runWebhookAction({ action_id: 'notify_retry', event }, depsFor(webhookAction('notify_retry')));
    expect(outcome).toMatchObject({ status: 'succeeded', http_status: 204 });
    expect(receiver.received.map((delivery) => delivery.status)).toEqual([500, 503, 204]);
    expect(new Set(receiver.received.map((delivery) => delivery.headers['x-dataplatform-delivery']))).toEqual(new Set([`notify_retry.${event.run_id}`]));
    expect(receiver.received.every((delivery) => delivery.problem === undefined)).toBe(true);
  });

  it('fails the attempt after max_attempts failures, naming the status and never the secret path', async () => {
    receiver.answers.push({ status: 500 }, { status: 500 });
    const event = failedEvent(FAILURE);
    const action = webhookAction('notify_down', { url: { type: 'secret', key: 'hook/url' }, max_attempts: 2 });
    const metadata = testMetadata({ actions: [action] });
    const withUrl = createEnvSecretStore({
      SECRET_HOOK_SIGNING_KEY: SIGNING_KEY,
      SECRET_HOOK_TOKEN: 'bearer-token-0123456789',
      SECRET_HOOK_URL: `${receiver.url}/api/webhook/secret-webhook-id-42`,
    });
    const outcome = await runWebhookAction({ action_id: 'notify_down', event }, { db: db.pool, metadata, loader: staticMetadataLoader(metadata, withUrl), log, callId: 'c' });
    expect(outcome.status).toBe('failed');
    const error = (outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.message).toBe('webhook action notify_down POST /[redacted] answered 500; gave up after 2 attempts');
    expect(receiver.received).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('secret-webhook-id-42');
    const runs = await query<{ status: string; error: string }>(db.pool, 'read runs', 'select status, error from audit.action_run where event_run_id = $1', [event.run_id]);
    expect(runs.rows).toEqual([{ status: 'failed', error: error.message }]);
  });

  it('never follows a redirect: only the URL named in metadata is called', async () => {
    receiver.answers.push({ status: 307, headers: { location: `${elsewhere.url}/stolen` } });
    const outcome = await runWebhookAction({ action_id: 'notify_redirect', event: failedEvent(FAILURE) }, depsFor(webhookAction('notify_redirect')));
    expect(outcome.status).toBe('failed');
    expect((outcome as { error: Error }).error).toBeInstanceOf(UpstreamError);
    expect((outcome as { error: Error }).error.message).toContain('answered 307');
    expect(elsewhere.received).toEqual([]);
  });

  it('fails the attempt when nothing listens at the URL', async () => {
    const port = await freePort();
    const outcome = await runWebhookAction({ action_id: 'notify_closed', event: failedEvent(FAILURE) }, depsFor(webhookAction('notify_closed', { url: `http://127.0.0.1:${port}/hook`, max_attempts: 1 })));
    expect(outcome.status).toBe('failed');
    expect((outcome as { error: Error }).error.message).toMatch(/^webhook action notify_closed POST \/hook gave no whole answer \(ECONNREFUSED\)/);
  });
});

describe('the receiver fixture', () => {
  it('refuses a body changed after signing, and a stale timestamp', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signWebhookBody(SIGNING_KEY, timestamp, '{"a":1}');
    const post = (body: string, at: number) =>
      fetch(`${receiver.url}/x`, { method: 'POST', body, headers: { 'x-dataplatform-signature': signature, 'x-dataplatform-timestamp': String(at) } });
    expect((await post('{"a":2}', timestamp)).status).toBe(401);
    expect((await post('{"a":1}', timestamp - 3600)).status).toBe(401);
    expect((await post('{"a":1}', timestamp)).status).toBe(204);
    expect(receiver.received.map((delivery) => delivery.problem)).toEqual(['bad signature', 'stale timestamp', undefined]);
  });
});
