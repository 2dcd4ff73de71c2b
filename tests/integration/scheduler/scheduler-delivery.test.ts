import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../../shared/errors.ts';
import type { MetadataLoader } from '../../../shared/metadata/metadata-loader.ts';
import type { OutboxMessage } from '../../../shared/runs/outbox.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { closedPort, useGatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { jsonFileSystem, testMetadata } from '../runtime/test-metadata.ts';
import { tickScheduler } from './scheduler-harness.ts';

describe('scheduler: delivering the outbox', () => {
  const db = useTestDatabase();
  const gateway = useGatewayStandIn();

  const outboxOf = async (systemId: string): Promise<OutboxMessage[]> =>
    (await db.pool.query<OutboxMessage>(`select * from audit.outbox where payload ->> 'system_id' = $1 order by id`, [systemId])).rows;
  /** Time passes for the outbox (it runs on the database clock): every waiting message is due again. */
  const letBackoffPass = () => db.pool.query('update audit.outbox set next_attempt_at = now() where delivered_at is null');

  it('delivers at the next tick a call whose delivery failed while the gateway was down', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SDA01', { schedule: '*/5 * * * *' })] });
    const downUrl = `http://127.0.0.1:${await closedPort()}`;

    const missed = await tickScheduler({ pool: db.pool, metadata, gatewayUrl: downUrl, now: new Date('2025-03-03T10:00:20Z'), callId: 'tick-1' });
    expect(missed.status).toBe(200);
    expect(missed.body).toMatchObject({ status: 'succeeded', delivered: 0, delivery_failed: 1 });
    const [waiting] = await outboxOf('SDA01');
    expect(waiting).toMatchObject({ target_function: 'connector-jsonfile', attempts: 1, delivered_at: null, last_error: expect.stringContaining('ECONNREFUSED') });

    await letBackoffPass();
    const caughtUp = await tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T10:01:20Z'), callId: 'tick-2' });
    expect(caughtUp.body).toMatchObject({ status: 'succeeded', started: [], delivered: 1, delivery_failed: 0 });
    expect(gateway.received).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/async-function/connector-jsonfile',
        body: {
          system_id: 'SDA01',
          batch_id: missed.body.started[0]?.batch_id,
          batch_timestamp: '2025-03-03T10:00:20.000Z',
          force: false,
          parent_call_id: 'tick-1',
        },
      }),
    ]);
    expect((await outboxOf('SDA01'))[0]).toMatchObject({ attempts: 2, last_error: null, delivered_at: expect.any(Date) });
  });

  it('retries a delivery the gateway refused (500) at a later tick', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SDB01', { schedule: '*/5 * * * *' })] });
    gateway.status = 500;
    const refused = await tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T11:00:20Z') });
    expect(refused.body).toMatchObject({ delivered: 0, delivery_failed: 1 });
    expect((await outboxOf('SDB01'))[0]?.last_error).toBe('gateway answered 500 for connector-jsonfile: Error queuing request: nats unavailable');

    gateway.status = 202;
    await letBackoffPass();
    const retried = await tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T11:01:20Z') });
    expect(retried.body).toMatchObject({ delivered: 1, delivery_failed: 0 });
    expect((await outboxOf('SDB01'))[0]).toMatchObject({ attempts: 2, delivered_at: expect.any(Date) });
  });

  it('still delivers the outbox when metadata cannot be read, and answers the failure', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SDC01', { schedule: '*/5 * * * *' })] });
    gateway.status = 500;
    await tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T12:00:20Z') });
    gateway.status = 202;
    await letBackoffPass();

    const unreachable = (): Promise<never> => Promise.reject(new UpstreamUnavailableError('MongoDB at 127.0.0.1:27017 is unreachable'));
    const brokenLoader: MetadataLoader = { load: unreachable, loadSystem: unreachable, loadAction: unreachable, loadWebhook: unreachable, loadResolved: unreachable };
    const answer = await tickScheduler({ pool: db.pool, metadata: brokenLoader, gatewayUrl: gateway.url, now: new Date('2025-03-03T12:05:20Z') });
    expect(answer).toEqual({
      status: 503,
      body: expect.objectContaining({
        status: 'failed',
        error: 'upstream_unavailable',
        // A 5xx says what kind of failure and where to look (the call id in the log), never hosts.
        message: expect.stringMatching(/^the function failed \(upstream_unavailable\); its log has the details under call id /),
        failed_steps: ['load metadata'],
        started: [],
        delivered: 1,
      }),
    });
  });

  it('sends a delivered call again when no run of it started within the grace period, and leaves one that ran', async () => {
    await db.pool.query('delete from audit.outbox');
    const metadata = testMetadata({ systems: [jsonFileSystem('SLC01')] });
    const enqueue = async (entity: string, callId: string, deliveredSecondsAgo: number): Promise<string> => {
      const inserted = await db.pool.query<{ id: string }>(
        `insert into audit.outbox (id, batch_id, batch_timestamp, target_function, payload, delivered_at, delivered_call_id)
         values (gen_random_uuid(), gen_random_uuid(), now(), 'bronze', $1::jsonb, now() - make_interval(secs => $2), $3)
         returning id`,
        [JSON.stringify({ system_id: 'SLC01', entity_id: entity }), deliveredSecondsAgo, callId],
      );
      return inserted.rows[0]?.id ?? '';
    };
    const lost = await enqueue('lost_entity', 'lost-call-1', 400);
    const ran = await enqueue('ran_entity', 'ran-call-1', 400);
    const recent = await enqueue('recent_entity', 'recent-call-1', 10);
    // The call that ran wrote its run row (an action run here: any run table counts).
    await db.pool.query(
      `insert into audit.action_run (run_id, action_id, action_type, event, event_run_id, event_status, batch_id, batch_timestamp, system_id, layer, call_id, status)
       select gen_random_uuid(), 'log_x', 'log', 'entity-layer-processed', gen_random_uuid(), 'succeeded', batch_id, batch_timestamp, 'SLC01', 'bronze', 'ran-call-1', 'running'
         from audit.outbox where id = $1`,
      [ran],
    );

    const answer = await tickScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date() });
    expect(answer.body).toMatchObject({ status: 'succeeded', lost_calls_sent_again: 1, delivered: 1 });
    expect(gateway.received.map((call) => (call.body as { entity_id: string }).entity_id)).toEqual(['lost_entity']);
    const rows = await db.pool.query<{ id: string; redeliveries: number; delivered_call_id: string | null; last_error: string | null }>(
      'select id, redeliveries, delivered_call_id, last_error from audit.outbox order by redeliveries desc',
    );
    expect(rows.rows.find((row) => row.id === lost)).toMatchObject({ redeliveries: 1, delivered_call_id: expect.stringMatching(/^queued-/), last_error: null });
    expect(rows.rows.find((row) => row.id === ran)).toMatchObject({ redeliveries: 0, delivered_call_id: 'ran-call-1' });
    expect(rows.rows.find((row) => row.id === recent)).toMatchObject({ redeliveries: 0, delivered_call_id: 'recent-call-1' });
  });
});
