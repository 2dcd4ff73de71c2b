import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { processGoldRequest } from '../../../shared/layers/gold/process-gold-request.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { landBatch } from '../silver-function/fixtures.ts';
import { goldContext, modelOf, projectMetadata, readGold, readGoldRows, writeSilver, type SilverRow } from './fixtures.ts';

let db: TestDatabase;
let metadata: LoadedMetadata;
let totalModel: EntityModel;

const at = (day: number): Date => new Date(Date.UTC(2025, 4, day, 12, 0, 0));

function order(customer_id: string, order_id: string, total: string | null, currency: string, day: number, extra: Partial<SilverRow> = {}): SilverRow {
  return { customer_id, order_id, list_index: 0, total, currency, ordered_at: at(day), ...extra };
}

const customers: SilverRow[] = [
  { id: 'C1', name: 'Alicia', tier: 'bronze', version: 'old' }, // renamed since: the current name counts
  { id: 'C1', name: 'Alice', tier: 'gold' },
  { id: 'C2', name: 'Bob', tier: 'silver' },
  { id: 'C3', name: 'Carol', tier: 'gold', version: 'deleted' }, // gone from the latest full extract
  { id: 'C4', name: 'Dan', tier: 'bronze' }, // no orders: no row
];

const orders: SilverRow[] = [
  order('C1', 'O1', '10.00', 'EUR', 3),
  order('C1', 'O2', '5.50', 'EUR', 9),
  order('C1', 'O3', '7.25', 'USD', 5), // another currency: its own row, never added to euros
  order('C2', 'O4', '0.10', 'EUR', 1),
  order('C2', 'O5', '0.20', 'EUR', 2),
  order('C2', 'O8', null, 'EUR', 4), // an order without total: counted, adds nothing
  order('C2', 'O6', '100.00', 'EUR', 6, { version: 'deleted' }), // dropped from the customer's list
  order('C2', 'O4', '99.00', 'EUR', 1, { version: 'old' }), // an earlier version of O4
  order('C3', 'O7', '20.00', 'EUR', 7), // its customer is gone
  order('C9', 'O9', '1.00', 'EUR', 8), // no such customer
];

beforeAll(async () => {
  db = await createTestDatabase();
  metadata = await projectMetadata();
  totalModel = modelOf(metadata, 'test_customer_order_total');
  await writeSilver(db.pool, 'test_customer', modelOf(metadata, 'test_customer'), customers);
  await writeSilver(db.pool, 'test_customer_order', modelOf(metadata, 'test_customer_order'), orders);
});
afterAll(async () => {
  await db.drop();
});

async function recompute() {
  const batch = await landBatch(db.pool, 'TST01', new Date());
  const outcome = await processGoldRequest({ gold_entity_id: 'test_customer_order_total', batch_id: batch.batch_id, force: true }, goldContext(db.pool, metadata));
  if (outcome.status !== 'succeeded') throw new Error(`gold did not succeed: ${JSON.stringify(outcome)}`);
  return outcome.counts;
}

describe('customer_order_totals', () => {
  it('counts and sums the current orders of current customers per currency', async () => {
    await recompute();

    expect(await readGold(db.pool, 'test_customer_order_total', totalModel)).toEqual([
      { customer_id: 'C1', currency: 'EUR', customer_name: 'Alice', orders: 2, total: '15.50', first_ordered_at: at(3), last_ordered_at: at(9) },
      { customer_id: 'C1', currency: 'USD', customer_name: 'Alice', orders: 1, total: '7.25', first_ordered_at: at(5), last_ordered_at: at(5) },
      { customer_id: 'C2', currency: 'EUR', customer_name: 'Bob', orders: 3, total: '0.30', first_ordered_at: at(1), last_ordered_at: at(4) },
    ]);
  });

  it('gives the same table when run twice on the same silver', async () => {
    await recompute();
    const before = await readGoldRows(db.pool, 'test_customer_order_total', totalModel);

    expect(await recompute()).toEqual({ records_in: 3, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 3 });
    expect(await readGoldRows(db.pool, 'test_customer_order_total', totalModel)).toEqual(before);
  });
});
