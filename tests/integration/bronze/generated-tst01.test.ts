import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateTestSource } from '../../../shared/layers/landing/jsonfile/generator/test-source.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { createBronzeTestEnv, type BronzeTestEnv, type Landed } from './bronze-test-env.ts';

/** The key columns of each TST01 entity, to compare bronze's keys with the generator's. */
const KEYS: Record<string, readonly string[]> = {
  test_customer: ['id'],
  test_customer_order: ['customer_id', 'order_id'],
  test_customer_tag: ['customer_id', 'list_index'],
  test_customer_attribute: ['customer_id', 'attribute_name'],
  test_product: ['sku'],
  test_reading: ['id'],
};

describe('bronze on generated TST01 batches', () => {
  let env: BronzeTestEnv;
  beforeAll(async () => {
    env = await createBronzeTestEnv('bronze_generated');
  });
  afterAll(async () => {
    await env.close();
  });

  it('writes, batch after batch, exactly the rows the generator says each entity has, keeping batch 4\'s resent reading with a warning', async () => {
    const batches = simulateTestSource({ seed: 11, batches: 4 });
    for (const [index, batch] of batches.entries()) {
      const landed: Landed = await env.land('TST01', batch.records, { batch_timestamp: new Date(Date.UTC(2026, 0, 1 + index)) });
      for (const entity of TST01_ENTITIES) {
        const outcome = await env.process(landed, entity.id);
        const records = batch.records[entity.landing_entity];
        const expected = records.flatMap((record) => entity.rows(record));
        const keyOf = (row: Record<string, unknown>): string => JSON.stringify(KEYS[entity.id]!.map((column) => String(row[column])));
        expect(outcome, `${batch.label} ${entity.id}`).toMatchObject({ status: 'succeeded', counts: { records_in: records.length, records_inserted: expected.length } });
        const rows = await env.db.pool.query(`select * from bronze.${entity.id} where "_dp_batch_id" = $1`, [landed.batch_id]);
        expect(rows.rows.map(keyOf).sort(), `${batch.label} ${entity.id}`).toEqual(expected.map(keyOf).sort());
      }
    }
    const layers = await env.db.pool.query(`select status, count(*)::int as count from audit.system_layer_run where layer = 'bronze' group by status order by status`);
    expect(layers.rows).toEqual([{ status: 'succeeded', count: 4 }]);
    // docs/test-system.md: batch 4 sends one reading twice; test_reading's `duplicate_keys: "latest"` keeps both
    // rows in bronze and records the failed key check as a warning, for silver to keep the last.
    const duplicates = await env.db.pool.query(
      `select entity_id, observed from audit.check_result where check_name = 'key_unique' and not passed`,
    );
    expect(duplicates.rows).toEqual([{ entity_id: 'test_reading', observed: 1 }]);
  }, 120_000);
});
