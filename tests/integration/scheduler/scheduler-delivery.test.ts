import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../../shared/errors.ts';
import type { MetadataLoader } from '../../../shared/metadata/metadata-loader.ts';
import type { OutboxMessage } from '../../../shared/runs/outbox.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { closedPort, startGatewayStandIn, type GatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { jsonFileSystem, testMetadata } from '../runtime/test-metadata.ts';
import { startScheduler } from './scheduler-harness.ts';

describe('scheduler: delivering the outbox', () => {
  let db: TestDatabase;
  let gateway: GatewayStandIn;
  beforeAll(async () => {
    db = await createTestDatabase();
    gateway = await startGatewayStandIn();
  });
  afterAll(async () => {
    await gateway.close();
    await db.drop();
  });

  const outboxOf = async (systemId: string): Promise<OutboxMessage[]> =>
    (await db.pool.query<OutboxMessage>(`select * from audit.outbox where payload ->> 'system_id' = $1 order by id`, [systemId])).rows;
  /** Time passes for the outbox (it runs on the database clock): every waiting message is due again. */
  const letBackoffPass = () => db.pool.query('update audit.outbox set next_attempt_at = now() where delivered_at is null');

  it('delivers at the next tick a call whose delivery failed while the gateway was down', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SDA01', { schedule: '*/5 * * * *' })] });
    const downUrl = `http://127.0.0.1:${await closedPort()}`;

    const first = await startScheduler({ pool: db.pool, metadata, gatewayUrl: downUrl, now: new Date('2025-03-03T10:00:20Z') });
    const missed = await first.tick('tick-1');
    await first.close();
    expect(missed.status).toBe(200);
    expect(missed.body).toMatchObject({ status: 'succeeded', delivered: 0, delivery_failed: 1 });
    const [waiting] = await outboxOf('SDA01');
    expect(waiting).toMatchObject({ target_function: 'connector-jsonfile', attempts: 1, delivered_at: null, last_error: expect.stringContaining('ECONNREFUSED') });

    await letBackoffPass();
    const second = await startScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T10:01:20Z') });
    const caughtUp = await second.tick('tick-2');
    await second.close();
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
    const refused = await startScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T11:00:20Z') });
    expect((await refused.tick()).body).toMatchObject({ delivered: 0, delivery_failed: 1 });
    await refused.close();
    expect((await outboxOf('SDB01'))[0]?.last_error).toBe('gateway answered 500 for connector-jsonfile: Error queuing request: nats unavailable');

    gateway.status = 202;
    await letBackoffPass();
    const retried = await startScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T11:01:20Z') });
    expect((await retried.tick()).body).toMatchObject({ delivered: 1, delivery_failed: 0 });
    await retried.close();
    expect((await outboxOf('SDB01'))[0]).toMatchObject({ attempts: 2, delivered_at: expect.any(Date) });
  });

  it('still delivers the outbox when metadata cannot be read, and answers the failure', async () => {
    const metadata = testMetadata({ systems: [jsonFileSystem('SDC01', { schedule: '*/5 * * * *' })] });
    gateway.status = 500;
    const leaveOne = await startScheduler({ pool: db.pool, metadata, gatewayUrl: gateway.url, now: new Date('2025-03-03T12:00:20Z') });
    await leaveOne.tick();
    await leaveOne.close();
    gateway.status = 202;
    await letBackoffPass();

    const unreachable = (): Promise<never> => Promise.reject(new UpstreamUnavailableError('MongoDB at 127.0.0.1:27017 is unreachable'));
    const brokenLoader: MetadataLoader = { load: unreachable, loadSystem: unreachable, loadAction: unreachable, loadWebhook: unreachable, loadResolved: unreachable };
    const scheduler = await startScheduler({ pool: db.pool, metadata: brokenLoader, gatewayUrl: gateway.url, now: new Date('2025-03-03T12:05:20Z') });
    const answer = await scheduler.tick();
    await scheduler.close();
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
});
