import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../dev/free-port.ts';
import { claimActionRun } from '../../../shared/runs/action-runs.ts';
import { runEmailAction } from '../../../shared/layers/actions/run-email-action.ts';
import { createLogger } from '../../../shared/log.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { ActionRequest } from '../../../shared/runtime/payloads.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { MAILPIT_SMTP_PORT, messagesTo, uniqueRecipient } from '../../fixtures/mailpit.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { useGatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { testMetadata } from '../runtime/test-metadata.ts';
import { tickScheduler, type TickAnswer } from '../scheduler/scheduler-harness.ts';
import { failedEvent } from './failed-event.ts';

// Actions fail like other work and are re-queued like it: each attempt is an audit.action_run row, the scheduler
// sends a failed attempt's call again after its backoff (at most 3 attempts), and an attempt whose call died is
// taken over. The failing action is a real email action whose SMTP server is down; the retry reaches mailpit.

const log = createLogger({ function: 'action-email' }, { write: () => undefined });
const recipient = uniqueRecipient('retries');

const db = useTestDatabase();
const gateway = useGatewayStandIn();
let downPort: number;

beforeAll(async () => {
  downPort = await freePort();
});

function metadataWith(port: number, enabled = true) {
  return testMetadata({
    actions: [
      {
        id: 'email_failed',
        type: 'email',
        enabled,
        on: { event: 'entity-layer-processed', statuses: ['failed'] },
        settings: { smtp: { host: '127.0.0.1', port }, from: 'dataplatform@example.test', to: [recipient] },
      },
    ],
  });
}

function sendEmail(request: ActionRequest, port: number, callId: string) {
  const metadata = metadataWith(port);
  return runEmailAction(request, { db: db.pool, metadata, loader: staticMetadataLoader(metadata, createEnvSecretStore({})), log, callId });
}

/** Why bronze failed, in the events of this file. */
const FAILURE = 'lock timeout on bronze.test_customer';

/** One tick now by a scheduler process of its own. */
function tick(metadata = metadataWith(downPort)): Promise<TickAnswer> {
  return tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date(), callId: 'tick-actions' });
}

/** Moves every attempt at an event back in time, as if it ended `seconds` ago. */
function age(eventRunId: string, seconds: number) {
  return db.pool.query(
    `update audit.action_run
        set started_at = started_at - make_interval(secs => $2),
            finished_at = finished_at - make_interval(secs => $2)
      where event_run_id = $1`,
    [eventRunId, seconds],
  );
}

describe('re-queueing actions', () => {
  it('sends a failed attempt call again after its backoff, once; the next attempt succeeds', async () => {
    const request: ActionRequest = { action_id: 'email_failed', event: failedEvent(FAILURE), parent_call_id: 'bronze-call' };
    const failed = await sendEmail(request, downPort, 'call-1');
    expect(failed).toMatchObject({ status: 'failed', attempt: 1 });

    expect((await tick()).body.requeued).toBe(0); // failed just now: waits 60 s first
    await age(request.event.run_id, 61);
    const answer = await tick();
    expect(answer.body).toMatchObject({ status: 'succeeded', requeued: 1, delivered: 1 });
    expect(answer.body.requeued_runs).toMatchObject([{ reason: 'failed', target_function: 'action-email', attempt: 2, batch_id: request.event.batch_id }]);
    expect(gateway.received).toMatchObject([{ path: '/async-function/action-email', body: request }]);
    expect((await tick()).body.requeued).toBe(0); // re-queued once

    // The re-queued call, as the gateway got it, with the server back.
    const retried = await sendEmail(ActionRequest.parse(gateway.received[0]?.body), MAILPIT_SMTP_PORT, 'call-2');
    expect(retried).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect((await messagesTo(recipient)).map((message) => message.headers['X-Dataplatform-Event-Run'])).toEqual([[request.event.run_id]]);
    const { rows } = await db.pool.query('select level, decision, target_function from audit.requeued_run where batch_id = $1', [request.event.batch_id]);
    expect(rows).toEqual([{ level: 'action', decision: 'requeued', target_function: 'action-email' }]);
  });

  it('stops after the third attempt, and does not re-queue an action that was disabled meanwhile', async () => {
    const request: ActionRequest = { action_id: 'email_failed', event: failedEvent(FAILURE) };
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(await sendEmail(request, downPort, `call-${attempt}`)).toMatchObject({ status: 'failed', attempt });
    }
    await age(request.event.run_id, 3600);
    expect((await tick()).body.requeued).toBe(0);

    const other: ActionRequest = { action_id: 'email_failed', event: failedEvent(FAILURE) };
    await sendEmail(other, downPort, 'call-x');
    await age(other.event.run_id, 61);
    expect((await tick(metadataWith(downPort, false))).body.requeued).toBe(0);
    const { rows } = await db.pool.query('select decision, note from audit.requeued_run where batch_id = $1', [other.event.batch_id]);
    expect(rows).toEqual([{ decision: 'not_requeued', note: 'action email_failed is unknown or disabled' }]);
  });

  it('takes over an attempt whose call died (running past its timeout), and re-queues it', async () => {
    const request: ActionRequest = { action_id: 'email_failed', event: failedEvent(FAILURE) };
    const action = { id: 'email_failed', type: 'email' } as const;
    const first = await claimActionRun(db.pool, { action, event: request.event, call_id: 'died', parent_call_id: undefined, status: 'running', timeout_seconds: 30, request });
    expect(first.claimed).toBe(true);
    // Not stale yet: a second delivery leaves it alone.
    expect(await sendEmail(request, MAILPIT_SMTP_PORT, 'call-dup')).toMatchObject({ status: 'skipped', reason: 'already_running' });

    await age(request.event.run_id, 31);
    const answer = await tick();
    expect(answer.body.requeued_runs).toMatchObject([{ reason: 'stale', target_function: 'action-email', attempt: 2 }]);
    const taken = await sendEmail(ActionRequest.parse(gateway.received[0]?.body), MAILPIT_SMTP_PORT, 'call-3');
    expect(taken).toMatchObject({ status: 'succeeded', attempt: 2 });
    const { rows } = await db.pool.query('select attempt, status, error from audit.action_run where event_run_id = $1 order by attempt', [request.event.run_id]);
    expect(rows).toEqual([
      { attempt: 1, status: 'failed', error: 'its call ended without finishing it (running past its timeout); taken over by the next attempt' },
      { attempt: 2, status: 'succeeded', error: null },
    ]);
  });
});
