import { beforeEach, describe, expect, it } from 'vitest';
import { createGatewayClient } from '../../../shared/adapters/gateway/gateway-client.ts';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { createLogger } from '../../../shared/log.ts';
import { announceCalls, InvalidChainedCallError } from '../../../shared/layers/chaining/announce-calls.ts';
import { deliverOutbox } from '../../../shared/layers/chaining/deliver-outbox.ts';
import { emitLayerFinishEvents } from '../../../shared/layers/chaining/emit-events.ts';
import { finishEntityRun, startEntityRun } from '../../../shared/runs/entity-runs.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import type { OutboxMessage } from '../../../shared/runs/outbox.ts';
import { ActionRequest } from '../../../shared/runtime/payloads.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { landBatch } from '../runs/fixtures.ts';
import { closedPort, useGatewayStandIn } from './gateway-stand-in.ts';
import { asIsEntity, jsonFileSystem, testMetadata } from './test-metadata.ts';

const silent = createLogger({}, { write: () => undefined });

describe('chaining', () => {
  const db = useTestDatabase();
  const gateway = useGatewayStandIn();
  beforeEach(async () => {
    // Each test delivers only its own messages.
    await db.pool.query('update audit.outbox set delivered_at = now() where delivered_at is null');
  });

  const origin = () => ({ batch_id: newBatchId(), batch_timestamp: new Date('2025-01-01T06:00:00Z'), call_id: 'call-landing' });
  const outboxOf = async (batchId: string): Promise<OutboxMessage[]> =>
    (await db.pool.query<OutboxMessage>('select * from audit.outbox where batch_id = $1 order by id', [batchId])).rows;

  describe('announceCalls', () => {
    it('writes one message per call in the caller’s transaction, with defaults and the parent call id', async () => {
      const from = origin();
      await withTransaction(db.pool, (tx) =>
        announceCalls(tx, from, [
          { function: 'bronze', payload: { batch_id: from.batch_id, system_id: 'TST01', entity_id: 'test_customer' } },
          { function: 'bronze', payload: { batch_id: from.batch_id, system_id: 'TST01', entity_id: 'test_order', force: true } },
        ]),
      );
      const messages = await outboxOf(from.batch_id);
      expect(messages.map((message) => [message.target_function, message.call_id, message.payload])).toEqual([
        ['bronze', 'call-landing', { batch_id: from.batch_id, system_id: 'TST01', entity_id: 'test_customer', force: false, parent_call_id: 'call-landing' }],
        ['bronze', 'call-landing', { batch_id: from.batch_id, system_id: 'TST01', entity_id: 'test_order', force: true, parent_call_id: 'call-landing' }],
      ]);
    });

    it('leaves no message when the transaction that announced it rolls back', async () => {
      const from = origin();
      await expect(
        withTransaction(db.pool, async (tx) => {
          await announceCalls(tx, from, [{ function: 'silver', payload: { batch_id: from.batch_id, system_id: 'TST01', entity_id: 'test_customer' } }]);
          throw new Error('bronze write failed');
        }),
      ).rejects.toThrow('bronze write failed');
      expect(await outboxOf(from.batch_id)).toEqual([]);
    });

    it('refuses a payload its target’s schema does not accept, naming the issues', async () => {
      const from = origin();
      const error = await withTransaction(db.pool, (tx) =>
        announceCalls(tx, from, [{ function: 'bronze', payload: { batch_id: from.batch_id, system_id: 'TST01', rows: [1, 2] } }]),
      ).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidChainedCallError);
      expect((error as Error).message).toBe(
        'chained call to bronze is invalid: entity_id: Invalid input: expected string, received undefined; (root): Unrecognized key: "rows"',
      );
      expect(await outboxOf(from.batch_id)).toEqual([]);
    });

    it('refuses a function the platform does not chain to', async () => {
      const from = origin();
      await expect(withTransaction(db.pool, (tx) => announceCalls(tx, from, [{ function: 'dashboard', payload: {} }]))).rejects.toThrow(
        'chained call to dashboard is invalid: the platform does not chain calls to this function',
      );
    });
  });

  describe('emitLayerFinishEvents', () => {
    const metadata = testMetadata({
      systems: [jsonFileSystem('TST01', { events: ['system-layer-processed'] })],
      entities: [
        asIsEntity('test_customer', 'TST01', { events: ['entity-layer-processed'] }),
        asIsEntity('test_order', 'TST01'), // emits no entity event
      ],
      actions: [
        { id: 'log_failures', type: 'log', on: { event: 'entity-layer-processed', statuses: ['failed'] } },
        { id: 'log_entities', type: 'log', on: { event: 'entity-layer-processed', layers: ['bronze'] } },
        { id: 'hook_layer', type: 'webhook', on: { event: 'system-layer-processed', system_id: 'TST01' }, settings: { url: 'http://127.0.0.1:9/hook', secret: 'signing-secret-0123456789' } },
        { id: 'silver_only', type: 'log', on: { event: 'system-layer-processed', layers: ['silver'] } },
      ],
    });

    it('announces the matching actions of each finish, and the layer’s event with its last entity', async () => {
      const batch = await landBatch(db.pool, { system_id: 'TST01', entities: ['test_customer', 'test_order'] });
      const finish = async (entityId: string, status: 'succeeded' | 'failed') => {
        const start = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'TST01', layer: 'bronze', entity_id: entityId, call_id: `call-${entityId}`, timeout_seconds: 60 });
        return withTransaction(db.pool, async (tx) => {
          const finished = await finishEntityRun(tx, start.run.run_id, { status, counts: { records_in: 3, records_inserted: 3 }, ...(status === 'failed' ? { error: 'check failed' } : {}) });
          return emitLayerFinishEvents(tx, finished, metadata, { call_id: `call-${entityId}` });
        });
      };
      expect(await finish('test_customer', 'failed')).toEqual(['log_failures', 'log_entities']);
      expect(await finish('test_order', 'succeeded')).toEqual(['hook_layer']); // no entity event; last entity: the layer's

      const messages = await outboxOf(batch.batch_id);
      expect(messages.map((message) => message.target_function)).toEqual(['action-log', 'action-log', 'action-webhook']);
      for (const message of messages) expect(() => ActionRequest.parse(message.payload)).not.toThrow();
      expect(messages[0]?.payload).toMatchObject({
        action_id: 'log_failures',
        parent_call_id: 'call-test_customer',
        event: {
          event: 'entity-layer-processed',
          layer: 'bronze',
          system_id: 'TST01',
          entity_id: 'test_customer',
          batch_id: batch.batch_id,
          status: 'failed',
          error: 'check failed',
          counts: { records_in: 3, records_inserted: 3, records_updated: 0 },
        },
      });
      expect(messages[2]?.payload).toMatchObject({
        action_id: 'hook_layer',
        event: {
          event: 'system-layer-processed',
          layer: 'bronze',
          status: 'failed',
          counts: { entities_expected: 2, entities_succeeded: 1, entities_failed: 1, entities_skipped: 0 },
        },
      });
    });
  });

  describe('deliverOutbox', () => {
    const announceOne = async (): Promise<string> => {
      const from = origin();
      await withTransaction(db.pool, (tx) =>
        announceCalls(tx, from, [{ function: 'silver', payload: { batch_id: from.batch_id, system_id: 'TST01', entity_id: 'test_customer' } }]),
      );
      return from.batch_id;
    };

    it('posts due messages to the async route and marks them delivered', async () => {
      const batchId = await announceOne();
      const before = gateway.received.length;
      const report = await deliverOutbox(db.pool, createGatewayClient({ baseUrl: gateway.url }), { log: silent });
      expect(report).toEqual({ delivered: 1, failed: 0 });
      expect(gateway.received.slice(before)).toMatchObject([
        { method: 'POST', path: '/async-function/silver', body: { batch_id: batchId, entity_id: 'test_customer', parent_call_id: 'call-landing' } },
      ]);
      expect((await outboxOf(batchId))[0]).toMatchObject({ attempts: 1, last_error: null });
      expect((await outboxOf(batchId))[0]?.delivered_at).not.toBeNull();
    });

    it('records a refused delivery with its reason and a backoff, and delivers it once due again', async () => {
      const batchId = await announceOne();
      gateway.status = 500;
      const client = createGatewayClient({ baseUrl: gateway.url });
      expect(await deliverOutbox(db.pool, client, { log: silent })).toEqual({ delivered: 0, failed: 1 });
      const [failed] = await outboxOf(batchId);
      expect(failed).toMatchObject({ attempts: 1, delivered_at: null, last_error: 'gateway answered 500 for silver: Error queuing request: nats unavailable' });
      expect((failed as OutboxMessage).next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 20_000);

      gateway.status = 202;
      expect(await deliverOutbox(db.pool, client, { log: silent })).toEqual({ delivered: 0, failed: 0 }); // backing off
      await db.pool.query('update audit.outbox set next_attempt_at = now() where batch_id = $1', [batchId]);
      expect(await deliverOutbox(db.pool, client, { log: silent })).toEqual({ delivered: 1, failed: 0 });
      expect((await outboxOf(batchId))[0]).toMatchObject({ attempts: 2, last_error: null });
    });

    it('stops trying once the gateway is unreachable and records the rest of the round failed', async () => {
      const batches = [await announceOne(), await announceOne(), await announceOne()];
      const client = createGatewayClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
      expect(await deliverOutbox(db.pool, client, { log: silent })).toEqual({ delivered: 0, failed: 3 });
      for (const batchId of batches) {
        expect((await outboxOf(batchId))[0]).toMatchObject({ attempts: 1, delivered_at: null, last_error: expect.stringMatching(/unreachable.*ECONNREFUSED$/) });
      }
    });
  });
});
