/**
 * The email and webhook actions end to end on the real OpenFaaS stack: the platform deployed with faas-cli into a
 * namespace of its own, a TST01 batch whose test_customer check fails in bronze, and what a person gets: one email,
 * read back from mailpit, and one signed POST at a receiver of this test, which the function reaches at
 * 10.62.0.1:<port> (the function network forwards to the loopback). A call delivered again through the gateway sends
 * nothing more.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import type { EntityLayerProcessedEvent } from '../../../shared/runtime/payloads.ts';
import { messagesTo, uniqueRecipient, type MailpitMessageDetail } from '../../fixtures/mailpit.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../fixtures/webhook-receiver.ts';
import { PLATFORM_BATCH_TIMEOUT_MS, startPlatform, TEST_SYSTEM, type PlatformEnv, type TestMetadataFiles } from '../platform/platform-env.ts';
import { CallbackReceiver, eventually, GATEWAY_URL } from '../stack-harness.ts';

/** OpenBao path of this file's secrets (`secret/dataplatform/<prefix>`), a secret key segment. */
const VAULT_PREFIX = `e2e_actions_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
const SIGNING_KEY = `signing-key-${randomUUID()}`;
const SMTP_USER = 'e2e-mailer';
const recipient = uniqueRecipient('e2e-failed');

let receiver: WebhookReceiver;
let platform: PlatformEnv;
/** The bronze run of test_customer that failed: the event both actions report. */
let failedRunId: string;

/** The file's secrets in the dev OpenBao, where the functions resolve the actions' references. */
async function putVaultSecrets(): Promise<void> {
  const answer = await fetch(`http://127.0.0.1:8200/v1/secret/data/dataplatform/${VAULT_PREFIX}`, {
    method: 'POST',
    headers: { 'x-vault-token': 'dev-root-token', 'content-type': 'application/json' },
    body: JSON.stringify({ data: { smtp_username: SMTP_USER, smtp_password: 'e2e-smtp-password', signing_key: SIGNING_KEY } }),
  });
  if (answer.status !== 200) throw new Error(`OpenBao refused the test secrets: ${answer.status}`);
}

/** TST01 with a check test_customer cannot pass, and this file's email and webhook actions on failed entity runs. */
function failingCustomersWithActions(metadata: TestMetadataFiles): TestMetadataFiles {
  const on = { event: 'entity-layer-processed', system_id: TEST_SYSTEM, statuses: ['failed'] };
  return {
    ...metadata,
    entities: metadata.entities.map((entity) =>
      entity.id === 'test_customer'
        ? { ...entity, quality: { ...(entity.quality as object), accepted_values: [{ column: 'tier', values: ['platinum'] }] } }
        : entity,
    ),
    actions: [
      {
        id: 'email_failed_runs',
        type: 'email',
        on,
        settings: {
          smtp: {
            host: '10.62.0.1',
            port: 1025,
            username: { type: 'secret', key: `${VAULT_PREFIX}/smtp_username` },
            password: { type: 'secret', key: `${VAULT_PREFIX}/smtp_password` },
          },
          from: 'dataplatform@example.test',
          to: [recipient],
          dashboard_url: `${GATEWAY_URL}/function/dashboard`,
        },
      },
      {
        id: 'notify_failed_runs',
        type: 'webhook',
        on,
        settings: {
          url: `http://10.62.0.1:${receiver.port}/hooks/failed`,
          secret: { type: 'secret', key: `${VAULT_PREFIX}/signing_key` },
          timeout_ms: 5_000,
        },
      },
    ],
  };
}

beforeAll(async () => {
  receiver = await startWebhookReceiver(SIGNING_KEY);
  await putVaultSecrets();
  platform = await startPlatform({ batches: 1, editMetadata: failingCustomersWithActions });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  await receiver?.close();
}, 60_000);

describe('email and webhook actions on the real OpenFaaS stack', () => {
  let email: MailpitMessageDetail;

  it('emails a failed TST01 entity run once, read back from mailpit', async () => {
    const batch = await platform.runBatch();
    expect(batch.settled).toBe(true);
    const runs = await query<{ run_id: string; error: string }>(
      platform.db.pool,
      'read the failed run',
      `select run_id, error from audit.entity_layer_run
        where batch_id = $1 and layer = 'bronze' and entity_id = 'test_customer' and status = 'failed'
        order by started_at limit 1`,
      [batch.batch_id],
    );
    const run = runs.rows[0];
    expect(run?.error).toContain('tier');
    failedRunId = run?.run_id ?? '';

    const messages = await eventually('the email in mailpit', async () => {
      const found = await messagesTo(recipient);
      return found.some((message) => message.headers['X-Dataplatform-Event-Run']?.[0] === failedRunId) ? found : undefined;
    }, 60_000, 500);
    const ofRun = messages.filter((message) => message.headers['X-Dataplatform-Event-Run']?.[0] === failedRunId);
    expect(ofRun).toHaveLength(1);
    email = ofRun[0] as MailpitMessageDetail;
    expect(email.Subject).toBe('[dataplatform] TST01 test_customer bronze: failed');
    expect(email.Username).toBe(SMTP_USER);
    expect(email.Text).toContain(`batch:     ${batch.batch_id}`);
    expect(email.Text).toContain(`error:     ${(run?.error ?? '').slice(0, 40)}`);
    expect(email.Text).toContain(`${GATEWAY_URL}/function/dashboard?system_id=TST01`);
  }, PLATFORM_BATCH_TIMEOUT_MS);

  it('posts the same failure once, signed, to the receiver at 10.62.0.1', async () => {
    const deliveries = await eventually('the signed POST', async () => {
      const found = receiver.deliveries().filter((delivery) => (JSON.parse(delivery.body) as { event: { run_id: string } }).event.run_id === failedRunId);
      return found.length > 0 ? found : undefined;
    }, 60_000, 500);
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    expect(delivery?.problem).toBeUndefined();
    expect(delivery?.path).toBe('/hooks/failed');
    const body = JSON.parse(delivery?.body ?? '{}') as { delivery_id: string; event: EntityLayerProcessedEvent };
    expect(body.delivery_id).toBe(`notify_failed_runs.${failedRunId}`);
    expect(body.event).toMatchObject({ event: 'entity-layer-processed', system_id: TEST_SYSTEM, entity_id: 'test_customer', layer: 'bronze', status: 'failed' });
    expect(receiver.received.filter((each) => each.body.includes(failedRunId))).toHaveLength(1);

    const actionRuns = await query<{ action_id: string; status: string; attempt: number }>(
      platform.db.pool,
      'read action runs',
      'select action_id, status, attempt from audit.action_run where event_run_id = $1 order by action_id',
      [failedRunId],
    );
    expect(actionRuns.rows).toEqual([
      { action_id: 'email_failed_runs', status: 'succeeded', attempt: 1 },
      { action_id: 'notify_failed_runs', status: 'succeeded', attempt: 1 },
    ]);
  }, 90_000);

  it('skips the same action calls delivered again through the gateway: no second email, no second POST', async () => {
    const stored = await query<{ action_id: string; request: { action_id: string; event: EntityLayerProcessedEvent } }>(
      platform.db.pool,
      'read the action calls',
      'select action_id, request from audit.action_run where event_run_id = $1 order by action_id',
      [failedRunId],
    );
    const callbacks = new CallbackReceiver();
    await callbacks.start();
    try {
      for (const { action_id, request } of stored.rows) {
        const fn = action_id === 'email_failed_runs' ? 'action-email' : 'action-webhook';
        const answer = await fetch(`${GATEWAY_URL}/async-function/${fn}.${platform.ns.name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-callback-url': callbacks.url, ...platform.auth },
          body: JSON.stringify(request),
        });
        expect(answer.status).toBe(202);
      }
      const answers = await callbacks.waitFor(2, 60_000);
      expect(answers.map((answer) => JSON.parse(answer.body) as { status: string; reason: string })).toEqual([
        expect.objectContaining({ status: 'skipped', reason: 'already_succeeded' }),
        expect.objectContaining({ status: 'skipped', reason: 'already_succeeded' }),
      ]);
    } finally {
      await callbacks.stop();
    }
    expect((await messagesTo(recipient)).filter((message) => message.MessageID === email.MessageID)).toHaveLength(1);
    expect(receiver.received.filter((each) => each.body.includes(failedRunId))).toHaveLength(1);
  }, 90_000);
});
