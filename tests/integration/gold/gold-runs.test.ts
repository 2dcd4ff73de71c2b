import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gold } from '../../../functions/gold/handler.ts';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { goldProcessors } from '../../../shared/layers/gold/gold-registry.ts';
import type { GoldProcessor } from '../../../shared/layers/gold/gold-processor.ts';
import { processGoldRequest } from '../../../shared/layers/gold/process-gold-request.ts';
import { processSilverBatch } from '../../../shared/layers/silver/process-silver-batch.ts';
import type { SilverEntity } from '../../../shared/layers/silver/silver-entity.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createFunctionDeps } from '../../../shared/runtime/function-deps.ts';
import { GoldRequest, SilverRequest } from '../../../shared/runtime/payloads.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { writeBronze } from '../silver/fixtures.ts';
import { countsOf, landBatch, outboxTo, recordEntityRun, runsOf, serveFunction, type Batch } from '../silver-function/fixtures.ts';
import { clearSilver, goldContext, modelOf, projectMetadata, readGold, writeSilver } from './fixtures.ts';

let db: TestDatabase;
let metadata: LoadedMetadata;
let customerModel: EntityModel;
let orderModel: EntityModel;
let totalModel: EntityModel;

const GOLD_ID = 'test_customer_order_total';
const TST01_ENTITIES = 6; // the bronze_silver entities of TST01 in metadata/entities.json

beforeAll(async () => {
  db = await createTestDatabase();
  metadata = await projectMetadata();
  customerModel = modelOf(metadata, 'test_customer');
  orderModel = modelOf(metadata, 'test_customer_order');
  totalModel = modelOf(metadata, GOLD_ID);
});
beforeEach(async () => {
  // each test starts from no data and no audit
  await db.pool.query('drop schema if exists silver cascade; drop schema if exists bronze cascade; drop schema if exists gold cascade');
  await db.pool.query('truncate audit.system_run, audit.outbox cascade');
});
afterAll(async () => {
  await db.drop();
});

const at = (minute: number): Date => new Date(Date.UTC(2026, 1, 1, 0, minute, 0));

/** Silver holds one customer with one order. */
async function silverWithOneOrder(total = '12.34'): Promise<void> {
  await writeSilver(db.pool, 'test_customer', customerModel, [{ id: 'C1', name: 'Alice' }]);
  await writeSilver(db.pool, 'test_customer_order', orderModel, [{ customer_id: 'C1', order_id: 'O1', total, currency: 'EUR', ordered_at: at(0) }]);
}

/** A TST01 batch in which silver finished `entityId` with `status`. */
async function batchWithSilver(minute: number, entityId: string, status: 'succeeded' | 'skipped' = 'succeeded'): Promise<Batch> {
  const batch = await landBatch(db.pool, 'TST01', at(minute));
  await recordEntityRun(db.pool, { batch, system_id: 'TST01', layer: 'silver', entity_id: entityId, expected: TST01_ENTITIES }, status);
  return batch;
}

const request = (fields: Partial<GoldRequest> = {}): GoldRequest => GoldRequest.parse({ gold_entity_id: GOLD_ID, ...fields });

describe('gold runs', () => {
  it('records the recompute under the triggering batch and its system, in the batch gold layer run', async () => {
    await silverWithOneOrder();
    const batch = await batchWithSilver(0, 'test_customer');

    const outcome = await processGoldRequest(request({ batch_id: batch.batch_id }), goldContext(db.pool, metadata));

    expect(outcome).toMatchObject({ status: 'succeeded', batch_id: batch.batch_id });
    const [run] = await runsOf(db.pool, 'gold', GOLD_ID);
    expect(run).toMatchObject({ status: 'succeeded', layer: 'gold', system_id: 'TST01', batch_id: batch.batch_id, call_id: 'call-gold', attempt: 1 });
    expect(countsOf(run!)).toEqual({ records_in: 1, records_inserted: 1, records_updated: 0, records_deleted: 0, records_unchanged: 0 });
    const layer = await db.pool.query('select status, entities_expected, entities_succeeded from audit.system_layer_run where batch_id = $1 and layer = $2', [batch.batch_id, 'gold']);
    expect(layer.rows).toEqual([{ status: 'succeeded', entities_expected: 1, entities_succeeded: 1 }]);
    const stamped = await db.pool.query('select "_dp_batch_id", "_dp_run_id", "_dp_call_id" from gold.test_customer_order_total');
    expect(stamped.rows).toEqual([{ _dp_batch_id: batch.batch_id, _dp_run_id: run?.run_id, _dp_call_id: 'call-gold' }]);
  });

  it('skips a batch it already recomputed, unless forced: then it is the next attempt', async () => {
    await silverWithOneOrder();
    const batch = await batchWithSilver(0, 'test_customer');
    const context = goldContext(db.pool, metadata);
    await processGoldRequest(request({ batch_id: batch.batch_id }), context);

    expect(await processGoldRequest(request({ batch_id: batch.batch_id }), context)).toMatchObject({ status: 'skipped', reason: 'already_succeeded' });
    expect(await processGoldRequest(request({ batch_id: batch.batch_id, force: true }), context)).toMatchObject({ status: 'succeeded' });

    expect((await runsOf(db.pool, 'gold', GOLD_ID)).map((run) => [run.status, run.attempt, run.skip_reason])).toEqual([
      ['succeeded', 1, null],
      ['skipped', 1, 'already_succeeded'],
      ['succeeded', 2, null],
    ]);
  });

  it('records a skip when none of its sources succeeded in silver in the batch, so the gold layer still completes', async () => {
    await silverWithOneOrder();
    const batch = await batchWithSilver(0, 'test_customer', 'skipped');

    const outcome = await processGoldRequest(request({ batch_id: batch.batch_id }), goldContext(db.pool, metadata));

    expect(outcome).toMatchObject({ status: 'skipped', reason: 'no source succeeded in silver in this batch' });
    expect(await runsOf(db.pool, 'gold', GOLD_ID)).toMatchObject([{ status: 'skipped', skip_reason: 'no source succeeded in silver in this batch' }]);
    const layer = await db.pool.query('select status from audit.system_layer_run where batch_id = $1 and layer = $2', [batch.batch_id, 'gold']);
    expect(layer.rows).toEqual([{ status: 'skipped' }]);
  });

  it('recomputes under the newest source batch when called without one, every time (a person asking)', async () => {
    await silverWithOneOrder();
    await batchWithSilver(0, 'test_customer');
    const newest = await batchWithSilver(10, 'test_customer_order');

    expect(await processGoldRequest(request(), goldContext(db.pool, metadata))).toMatchObject({ status: 'succeeded', batch_id: newest.batch_id });
    expect(await processGoldRequest(request(), goldContext(db.pool, metadata))).toMatchObject({ status: 'succeeded', batch_id: newest.batch_id });

    expect((await runsOf(db.pool, 'gold', GOLD_ID)).map((run) => [run.batch_id, run.attempt, run.force])).toEqual([
      [newest.batch_id, 1, true],
      [newest.batch_id, 2, true],
    ]);
  });

  it('answers skipped, without an audit row, when called without a batch before any source reached silver', async () => {
    expect(await processGoldRequest(request(), goldContext(db.pool, metadata))).toEqual({ status: 'skipped', reason: 'no source batch yet', gold_entity_id: GOLD_ID });
    expect(await runsOf(db.pool, 'gold', GOLD_ID)).toEqual([]);
  });

  it('follows silver: a batch that changes both sources computes once, after the last of them, seeing both', async () => {
    const batch = await landBatch(db.pool, 'TST01', at(0));
    const silverContext = { pool: db.pool, metadata, log: goldContext(db.pool, metadata).log, callId: 'call-silver', timeoutSeconds: 60 };
    const customers: SilverEntity = { id: 'test_customer', table: 'test_customer', model: customerModel, loadType: 'full' };
    const orders: SilverEntity = { id: 'test_customer_order', table: 'test_customer_order', model: orderModel, loadType: 'full' };
    for (const [entity, rows] of [
      [customers, [{ id: 'C1', name: 'Alice' }]],
      [orders, [{ customer_id: 'C1', order_id: 'O1', list_index: 0, total: '12.34', currency: 'EUR', ordered_at: at(0) }]],
    ] as const) {
      await writeBronze(db.pool, entity, batch, rows);
      await recordEntityRun(db.pool, { batch, system_id: 'TST01', layer: 'bronze', entity_id: entity.id, expected: TST01_ENTITIES }, 'succeeded');
    }
    const goldCalls = async (): Promise<GoldRequest[]> => (await outboxTo(db.pool, batch.batch_id, 'gold')).map((payload) => GoldRequest.parse(payload));
    const silverOf = (entityId: string, force = false) =>
      processSilverBatch(SilverRequest.parse({ batch_id: batch.batch_id, system_id: 'TST01', entity_id: entityId, force }), silverContext);

    // customers first: gold waits, its other source of the batch has no outcome yet
    expect(await silverOf('test_customer')).toMatchObject({ status: 'succeeded', gold_calls: [] });
    expect(await goldCalls()).toEqual([]);

    // then orders, the last source: gold is asked once, and computes from both
    expect(await silverOf('test_customer_order')).toMatchObject({ status: 'succeeded', gold_calls: [GOLD_ID] });
    const [afterOrders, ...more] = await goldCalls();
    expect(more).toEqual([]);
    expect(afterOrders).toMatchObject({ gold_entity_id: GOLD_ID, batch_id: batch.batch_id, force: true, parent_call_id: 'call-silver' });
    expect(await processGoldRequest(afterOrders!, goldContext(db.pool, metadata))).toMatchObject({ status: 'succeeded' });
    expect(await readGold(db.pool, GOLD_ID, totalModel)).toEqual([
      { customer_id: 'C1', currency: 'EUR', customer_name: 'Alice', orders: 1, total: '12.34', first_ordered_at: at(0), last_ordered_at: at(0) },
    ]);
    expect((await runsOf(db.pool, 'gold', GOLD_ID)).map((run) => [run.status, run.attempt, run.records_inserted])).toEqual([['succeeded', 1, 1]]);

    // a forced rerun of one source, once the others have their outcome, asks gold again at once, forced (it rewrote silver)
    expect(await silverOf('test_customer', true)).toMatchObject({ status: 'succeeded', gold_calls: [GOLD_ID] });
    const [, again] = await goldCalls();
    expect(again).toMatchObject({ gold_entity_id: GOLD_ID, force: true });
    expect(await processGoldRequest(again!, goldContext(db.pool, metadata))).toMatchObject({ status: 'succeeded' });
    expect((await runsOf(db.pool, 'gold', GOLD_ID)).map((run) => [run.status, run.attempt, run.records_unchanged])).toEqual([
      ['succeeded', 1, 0],
      ['succeeded', 2, 1],
    ]);
  });

  it('asks gold once when the sources of a batch finish silver at the same moment', async () => {
    const batch = await landBatch(db.pool, 'TST01', at(0));
    const silverContext = { pool: db.pool, metadata, log: goldContext(db.pool, metadata).log, callId: 'call-silver', timeoutSeconds: 60 };
    const customers: SilverEntity = { id: 'test_customer', table: 'test_customer', model: customerModel, loadType: 'full' };
    const orders: SilverEntity = { id: 'test_customer_order', table: 'test_customer_order', model: orderModel, loadType: 'full' };
    await writeBronze(db.pool, customers, batch, [{ id: 'C1', name: 'Alice' }]);
    await writeBronze(db.pool, orders, batch, [{ customer_id: 'C1', order_id: 'O1', list_index: 0, total: '1.00', currency: 'EUR', ordered_at: at(0) }]);
    for (const entity of [customers, orders]) {
      await recordEntityRun(db.pool, { batch, system_id: 'TST01', layer: 'bronze', entity_id: entity.id, expected: TST01_ENTITIES }, 'succeeded');
    }
    const outcomes = await Promise.all(
      ['test_customer', 'test_customer_order'].map((entityId) => processSilverBatch(SilverRequest.parse({ batch_id: batch.batch_id, system_id: 'TST01', entity_id: entityId }), silverContext)),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['succeeded', 'succeeded']);
    expect((await outboxTo(db.pool, batch.batch_id, 'gold')).length).toBe(1);
  });

  it('records a failure with its reason and leaves the gold table as it was when the processor fails', async () => {
    await silverWithOneOrder();
    const good = await batchWithSilver(0, 'test_customer');
    await processGoldRequest(request({ batch_id: good.batch_id }), goldContext(db.pool, metadata));
    const before = await readGold(db.pool, GOLD_ID, totalModel);
    await clearSilver(db.pool, 'test_customer_order');
    await writeSilver(db.pool, 'test_customer_order', orderModel, [{ customer_id: 'C1', order_id: 'O1', total: '99.00', currency: 'EUR' }]);
    const twice: GoldProcessor = {
      id: 'customer_order_totals',
      sources: ['test_customer_order'],
      options: goldProcessors.customer_order_totals!.options,
      recompute: (_tx, ctx) =>
        ctx.replaceRows(`
          select o.customer_id, o.currency, null as customer_name, 1 as orders, o.total, null::timestamptz as first_ordered_at, null::timestamptz as last_ordered_at
            from ${ctx.sources.test_customer_order!.table} as o
            cross join generate_series(1, 2)`),
    };
    const failing = await batchWithSilver(10, 'test_customer_order');

    const outcome = await processGoldRequest(request({ batch_id: failing.batch_id }), goldContext(db.pool, metadata, { registry: { customer_order_totals: twice } }));

    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'duplicate_gold_key', status: 500 } });
    const run = (await runsOf(db.pool, 'gold', GOLD_ID)).at(-1);
    expect(run).toMatchObject({ status: 'failed', error: 'gold test_customer_order_total: the recompute returned key {"customer_id":"C1","currency":"EUR"} 2 times; a gold key must be unique' });
    expect(await readGold(db.pool, GOLD_ID, totalModel)).toEqual(before);
    expect(await outboxTo(db.pool, failing.batch_id, 'action-log')).toMatchObject([{ action_id: 'log_failed_entity_runs', event: { layer: 'gold', status: 'failed' } }]);
  });

  it('recreates a gold table its model no longer fits (gold is derived in full, so nothing is lost)', async () => {
    await silverWithOneOrder();
    await db.pool.query('create schema gold; create table gold.test_customer_order_total (customer_id integer, orders text)');
    const batch = await batchWithSilver(0, 'test_customer');

    expect(await processGoldRequest(request({ batch_id: batch.batch_id }), goldContext(db.pool, metadata))).toMatchObject({ status: 'succeeded' });

    expect(await readGold(db.pool, GOLD_ID, totalModel)).toMatchObject([{ customer_id: 'C1', orders: 1, total: '12.34' }]);
  });

  it('answers through the function: 404 for an unknown gold entity, 400 for a bad payload, the outcome otherwise', async () => {
    await silverWithOneOrder();
    const batch = await batchWithSilver(0, 'test_customer');
    const deps = createFunctionDeps({ name: 'gold', pool: db.pool, metadataLoader: staticMetadataLoader(metadata, createEnvSecretStore({})) });
    const fn = await serveFunction(gold, deps);
    try {
      expect((await fn.post({ gold_entity_id: 'nope', batch_id: batch.batch_id })).body).toMatchObject({ error: 'not_found', message: 'unknown entity "nope"' });
      expect((await fn.post({ gold_entity_id: 'test_customer', batch_id: batch.batch_id })).status).toBe(404);
      expect((await fn.post({ gold_entity_id: GOLD_ID, batch_id: 'not-a-uuid' })).status).toBe(400);
      const answer = await fn.post({ gold_entity_id: GOLD_ID, batch_id: batch.batch_id }, 'call-through-gateway');
      expect(answer).toMatchObject({ status: 200, body: { status: 'succeeded', counts: { records_in: 1, records_inserted: 1 } } });
      expect((await runsOf(db.pool, 'gold', GOLD_ID)).map((run) => run.call_id)).toEqual(['call-through-gateway']);
    } finally {
      await fn.close();
      await deps.close();
    }
  });
});
