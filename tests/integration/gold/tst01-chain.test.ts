import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processGoldRequest } from '../../../shared/layers/gold/process-gold-request.ts';
import { batchLabel, simulateTestSource } from '../../../shared/layers/landing/jsonfile/generator/test-source.ts';
import { SilverOracle } from '../../../shared/layers/landing/jsonfile/generator/silver-oracle.ts';
import { TST01_ENTITIES, type OracleRow } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { processSilverBatch } from '../../../shared/layers/silver/process-silver-batch.ts';
import { createLogger } from '../../../shared/log.ts';
import { GoldRequest, SilverRequest } from '../../../shared/runtime/payloads.ts';
import { createBronzeTestEnv, type BronzeTestEnv } from '../bronze/bronze-test-env.ts';
import { readGold } from './fixtures.ts';

const GOLD_ID = 'test_customer_order_total';
const BATCHES = 5;

let env: BronzeTestEnv;

beforeAll(async () => {
  env = await createBronzeTestEnv('gold_chain');
});
afterAll(async () => {
  await env.close();
});

/**
 * Runs the silver and gold calls waiting in the outbox, oldest first, as the scheduler's delivery and the queue
 * would (one at a time), until none is left: silver's own gold calls join the queue as they are written.
 */
async function drainOutbox(): Promise<Array<{ target: string; status: string }>> {
  const context = { pool: env.db.pool, metadata: env.metadata, log: createLogger({}, { write: () => undefined }), timeoutSeconds: 60 };
  const handled: Array<{ target: string; status: string }> = [];
  for (;;) {
    const next = await env.db.pool.query<{ id: string; target_function: string; payload: unknown }>(
      `select id, target_function, payload
         from audit.outbox
        where delivered_at is null
          and target_function in ('silver', 'gold')
        order by created_at, id
        limit 1`,
    );
    const message = next.rows[0];
    if (!message) return handled;
    await env.db.pool.query('update audit.outbox set delivered_at = now() where id = $1', [message.id]);
    const callId = `call-${message.target_function}-${handled.length}`;
    const outcome =
      message.target_function === 'silver'
        ? await processSilverBatch(SilverRequest.parse(message.payload), { ...context, callId })
        : await processGoldRequest(GoldRequest.parse(message.payload), { ...context, callId });
    handled.push({ target: message.target_function, status: outcome.status });
  }
}

/** Order totals per customer and currency, computed in plain TypeScript from the oracle's current silver rows. */
function expectedTotals(customers: readonly OracleRow[], orders: readonly OracleRow[]): Array<Record<string, unknown>> {
  const names = new Map(customers.map((customer) => [customer.id as string, customer.name as string | null]));
  const totals = new Map<string, { customer_id: string; currency: string; orders: number; cents: number; first: number; last: number }>();
  for (const order of orders) {
    const customerId = order.customer_id as string;
    if (!names.has(customerId) || order.currency === null) continue;
    const key = JSON.stringify([customerId, order.currency]);
    const at = Date.parse(order.ordered_at as string);
    const cents = order.total === null ? 0 : Math.round(Number(order.total) * 100);
    const total = totals.get(key) ?? { customer_id: customerId, currency: order.currency as string, orders: 0, cents: 0, first: at, last: at };
    totals.set(key, { ...total, orders: total.orders + 1, cents: total.cents + cents, first: Math.min(total.first, at), last: Math.max(total.last, at) });
  }
  return [...totals.values()]
    .sort((a, b) => (a.customer_id === b.customer_id ? (a.currency < b.currency ? -1 : 1) : a.customer_id < b.customer_id ? -1 : 1))
    .map((total) => ({
      customer_id: total.customer_id,
      currency: total.currency,
      customer_name: names.get(total.customer_id) ?? null,
      orders: total.orders,
      total: `${Math.floor(total.cents / 100)}.${String(total.cents % 100).padStart(2, '0')}`,
      first_ordered_at: new Date(total.first),
      last_ordered_at: new Date(total.last),
    }));
}

describe('TST01 through bronze, silver and gold', () => {
  it('keeps the order totals equal to what the generated source says, batch after batch, each layer completing', async () => {
    const oracles = new Map(TST01_ENTITIES.map((entity) => [entity.id, new SilverOracle(env.metadata.models[entity.model]!, entity.load_type)]));
    const batches = simulateTestSource({ seed: 23, batches: BATCHES });
    for (const [index, batch] of batches.entries()) {
      const landed = await env.land('TST01', batch.records, { batch_timestamp: new Date(Date.UTC(2026, 0, 5 + index)) });
      for (const entity of TST01_ENTITIES) await env.process(landed, entity.id);
      const handled = await drainOutbox();

      for (const entity of TST01_ENTITIES) {
        const rows = batch.records[entity.landing_entity].flatMap((record, position) => entity.rows(record).map((row) => ({ position, row })));
        oracles.get(entity.id)!.apply(batchLabel(batch.number), rows);
      }
      const current = (id: string): OracleRow[] =>
        oracles
          .get(id)!
          .rows((text) => Number(text.slice(-4)))
          .filter((row) => row._dp_is_current && !row._dp_is_deleted);
      const gold = await readGold(env.db.pool, GOLD_ID, env.metadata.models.test_customer_order_total!);
      expect(gold.length, batch.label).toBeGreaterThan(0);
      expect(gold, batch.label).toEqual(expectedTotals(current('test_customer'), current('test_customer_order')));

      // gold ran once, after the last of its sources, and every layer completed
      expect(handled.filter((call) => call.target === 'gold'), batch.label).toEqual([{ target: 'gold', status: 'succeeded' }]);
      const layers = await env.db.pool.query<{ layer: string; status: string }>(
        `select layer, status from audit.system_layer_run where batch_id = $1 and layer in ('silver', 'gold') order by layer`,
        [landed.batch_id],
      );
      expect(layers.rows, batch.label).toEqual([
        { layer: 'gold', status: 'succeeded' },
        { layer: 'silver', status: 'succeeded' },
      ]);
    }
  }, 180_000);
});
