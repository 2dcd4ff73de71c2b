import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { freePort } from '../../../dev/free-port.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { UpstreamError, UpstreamUnavailableError } from '../../../shared/errors.ts';
import { runEmailAction } from '../../../shared/layers/actions/run-email-action.ts';
import { createLogger } from '../../../shared/log.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import type { SystemLayerProcessedEvent } from '../../../shared/runtime/payloads.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { MAILPIT_SMTP_PORT, messagesTo, uniqueRecipient } from '../../fixtures/mailpit.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { testMetadata } from '../runtime/test-metadata.ts';
import { failedEvent } from './failed-event.ts';

/** Why bronze failed, in the events of this file. */
const FAILURE = 'check accepted_values(tier) failed: 12 rows';

// The email action against the real mailpit of `npm run services -- up`: what it sends is read back from mailpit's
// API, one recipient address per test so parallel files never see each other's mail.

const SMTP_PASSWORD = 'smtp-password-never-shown-1234';
const secrets = createEnvSecretStore({ SECRET_MAIL_USERNAME: 'dataplatform-mailer', SECRET_MAIL_PASSWORD: SMTP_PASSWORD });
const log = createLogger({ function: 'action-email' }, { write: () => undefined });

let db: TestDatabase;
let closedPort: number;

beforeAll(async () => {
  db = await createTestDatabase();
  closedPort = await freePort();
});

afterAll(async () => {
  await db?.drop();
});

/** An email action to `to` through the SMTP server at `port` (mailpit's unless said), login from secrets. */
function emailAction(id: string, to: string, smtp: Record<string, unknown> = {}, settings: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'email',
    on: { event: 'entity-layer-processed', statuses: ['failed'] },
    settings: {
      smtp: {
        host: '127.0.0.1',
        port: MAILPIT_SMTP_PORT,
        username: { type: 'secret', key: 'mail/username' },
        password: { type: 'secret', key: 'mail/password' },
        ...smtp,
      },
      from: 'dataplatform@example.test',
      to: [to],
      dashboard_url: 'http://homeserver.lan:8080/function/dashboard',
      ...settings,
    },
  };
}

function depsFor(actions: Array<Record<string, unknown>>, callId = 'call-1') {
  const metadata = testMetadata({ actions });
  return { db: db.pool, metadata, loader: staticMetadataLoader(metadata, secrets), log, callId };
}

async function attemptsOf(eventRunId: string): Promise<Array<{ attempt: number; status: string; error: string | null }>> {
  const rows = await query<{ attempt: number; status: string; error: string | null }>(
    db.pool,
    'read email attempts',
    'select attempt, status, error from audit.action_run where event_run_id = $1 order by attempt',
    [eventRunId],
  );
  return rows.rows;
}

describe('runEmailAction', () => {
  it('sends one message rendered from the event, with the login from secrets, and records the attempt', async () => {
    const to = uniqueRecipient('failed-runs');
    const event = failedEvent(FAILURE);
    const outcome = await runEmailAction({ action_id: 'email_failed', event }, depsFor([emailAction('email_failed', to)]));
    expect(outcome).toMatchObject({ status: 'succeeded', action_id: 'email_failed', attempt: 1, recipients: 1 });

    const [message, ...others] = await messagesTo(to);
    expect(others).toEqual([]);
    expect(message?.Subject).toBe('[dataplatform] TST01 test_customer bronze: failed');
    expect(message?.From.Address).toBe('dataplatform@example.test');
    expect(message?.Username).toBe('dataplatform-mailer');
    expect(message?.MessageID).toBe(`email_failed.${event.run_id}@dataplatform`);
    expect(message?.headers['X-Dataplatform-Event-Run']).toEqual([event.run_id]);
    expect(message?.Text).toContain('error:     check accepted_values(tier) failed: 12 rows');
    expect(message?.Text).toContain('counts:    records_in=12, records_rejected=12');
    expect(message?.Text).toContain(`batch:     ${event.batch_id} (2025-01-01T06:00:00.000Z)`);
    expect(message?.Text).toContain('http://homeserver.lan:8080/function/dashboard?system_id=TST01');
    expect(await attemptsOf(event.run_id)).toEqual([{ attempt: 1, status: 'succeeded', error: null }]);
  });

  it('renders the action own templates, an absent field as nothing', async () => {
    const to = uniqueRecipient('templates');
    const event: SystemLayerProcessedEvent = {
      event: 'system-layer-processed',
      layer: 'silver',
      system_id: 'NSC01',
      batch_id: uuidv7(),
      batch_timestamp: '2025-01-02T06:00:00.000Z',
      status: 'succeeded',
      run_id: uuidv7(),
      finished_at: '2025-01-02T06:01:00.000Z',
      counts: { entities_expected: 6, entities_succeeded: 6, entities_failed: 0, entities_skipped: 0 },
    };
    const action = emailAction('email_silver', to, {}, { subject: '{{system_id}} silver done{{entity_id}}', body: 'counts: {{counts}}\nerror: [{{error}}]' });
    await runEmailAction({ action_id: 'email_silver', event }, depsFor([action]));
    const [message] = await messagesTo(to);
    expect(message?.Subject).toBe('NSC01 silver done');
    expect(message?.Text.trim()).toBe('counts: entities_expected=6, entities_succeeded=6\nerror: []');
  });

  it('sends an event delivered three times at once one message; the other calls are skipped', async () => {
    const to = uniqueRecipient('twice');
    const event = failedEvent(FAILURE);
    const actions = [emailAction('email_twice', to)];
    const outcomes = await Promise.all(
      ['call-a', 'call-b', 'call-c'].map((callId) => runEmailAction({ action_id: 'email_twice', event }, depsFor(actions, callId))),
    );
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['skipped', 'skipped', 'succeeded']);
    const again = await runEmailAction({ action_id: 'email_twice', event }, depsFor(actions, 'call-d'));
    expect(again).toMatchObject({ status: 'skipped', reason: 'already_succeeded' });
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it('fails the attempt when the server is unreachable, naming it; the next attempt sends the message', async () => {
    const to = uniqueRecipient('unreachable');
    const event = failedEvent(FAILURE);
    const down = await runEmailAction({ action_id: 'email_down', event }, depsFor([emailAction('email_down', to, { port: closedPort })]));
    expect(down.status).toBe('failed');
    const error = (down as { error: unknown }).error;
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as Error).message).toMatch(new RegExp(`^SMTP server 127\\.0\\.0\\.1:${closedPort} could not take the message: .*ECONNREFUSED`));
    expect((error as Error).message).not.toContain(SMTP_PASSWORD);

    // The scheduler re-queues the call; by then the server is back (here: the action points at mailpit again).
    const retried = await runEmailAction({ action_id: 'email_down', event }, depsFor([emailAction('email_down', to)], 'call-2'));
    expect(retried).toMatchObject({ status: 'succeeded', attempt: 2 });
    const attempts = await attemptsOf(event.run_id);
    expect(attempts.map(({ attempt, status }) => ({ attempt, status }))).toEqual([
      { attempt: 1, status: 'failed' },
      { attempt: 2, status: 'succeeded' },
    ]);
    expect(attempts[0]?.error).toContain(`SMTP server 127.0.0.1:${closedPort}`);
    expect(await messagesTo(to)).toHaveLength(1);
  });

  it('fails the attempt with the server own words when it refuses the conversation', async () => {
    const refusing = net.createServer((socket) => socket.end('554 5.3.2 no mail accepted here\r\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const port = (refusing.address() as AddressInfo).port;
      const event = failedEvent(FAILURE);
      const outcome = await runEmailAction({ action_id: 'email_refused', event }, depsFor([emailAction('email_refused', uniqueRecipient('refused'), { port })]));
      expect(outcome.status).toBe('failed');
      const error = (outcome as { error: Error }).error;
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.message).toContain(`SMTP server 127.0.0.1:${port} refused the message`);
      expect(error.message).toContain('554 5.3.2 no mail accepted here');
      expect(await attemptsOf(event.run_id)).toEqual([{ attempt: 1, status: 'failed', error: error.message }]);
    } finally {
      refusing.close();
    }
  });

  it('skips a disabled action and records nothing', async () => {
    const event = failedEvent(FAILURE);
    const action = { ...emailAction('email_off', uniqueRecipient('off')), enabled: false };
    expect(await runEmailAction({ action_id: 'email_off', event }, depsFor([action]))).toEqual({ status: 'skipped', reason: 'action disabled', action_id: 'email_off' });
    expect(await attemptsOf(event.run_id)).toEqual([]);
  });
});
