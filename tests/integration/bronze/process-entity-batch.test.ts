import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataRejectedError, NotFoundError } from '../../../shared/errors.ts';
import { Action } from '../../../shared/metadata/action-schema.ts';
import { createBronzeTestEnv, type BronzeTestEnv } from './bronze-test-env.ts';
import { customer, reading, TST01_ENTITIES, tst01Batch } from './tst01-records.ts';

describe('processEntityBatch (TST01)', () => {
  let env: BronzeTestEnv;
  beforeAll(async () => {
    env = await createBronzeTestEnv('bronze_tst01');
  });
  afterAll(async () => {
    await env.close();
  });

  const columnsOf = async (table: string): Promise<Record<string, string>> => {
    const result = await env.db.pool.query<{ column_name: string; data_type: string }>(
      `select column_name, data_type from information_schema.columns where table_schema = 'bronze' and table_name = $1 order by ordinal_position`,
      [table],
    );
    return Object.fromEntries(result.rows.map((row) => [row.column_name, row.data_type]));
  };
  const rowsOf = async (table: string, batch_id: string, orderBy: string): Promise<Record<string, unknown>[]> =>
    (await env.db.pool.query(`select * from bronze.${table} where "_dp_batch_id" = $1 order by ${orderBy}`, [batch_id])).rows;
  const runsOf = async (batch_id: string, layer = 'bronze') =>
    (
      await env.db.pool.query(
        `select entity_id, status, skip_reason, error, attempt, records_in, records_inserted, records_rejected, records_deleted
           from audit.entity_layer_run where batch_id = $1 and layer = $2 order by entity_id, started_at`,
        [batch_id, layer],
      )
    ).rows;

  it('loads every TST01 entity into typed bronze tables, with system columns, audit rows, checks, silver calls and events', async () => {
    const landed = await env.land('TST01', tst01Batch());
    const bronzeDone = Action.parse({ id: 'log_bronze_done', type: 'log', on: { event: 'system-layer-processed', layers: ['bronze'] } });
    const metadata = { ...env.metadata, actions: [...env.metadata.actions, bronzeDone] };
    const outcomes = [];
    for (const entity of TST01_ENTITIES) outcomes.push(await env.process(landed, entity, { metadata }));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(TST01_ENTITIES.map(() => 'succeeded'));

    expect(await columnsOf('test_customer')).toEqual({
      id: 'text', name: 'text', email: 'text', tier: 'text', address_street: 'text', address_city: 'text', address_country: 'text',
      updated_at: 'timestamp with time zone',
      _dp_batch_id: 'uuid', _dp_batch_timestamp: 'timestamp with time zone', _dp_call_id: 'text', _dp_run_id: 'bigint',
      _dp_record_id: 'text', _dp_position: 'integer',
    });
    expect(await columnsOf('test_reading')).toMatchObject({ id: 'bigint', reading_type: 'text', measured_at: 'timestamp with time zone', value: 'double precision' });

    const customers = await rowsOf('test_customer', landed.batch_id, 'id');
    expect(customers).toHaveLength(5);
    expect(customers[0]).toMatchObject({
      id: 'c-3', name: 'Customer 3', tier: 'bronze', address_street: 'Main 3', address_city: 'Utrecht',
      _dp_batch_id: landed.batch_id, _dp_call_id: 'call-bronze-1', _dp_run_id: '1', _dp_position: 0,
      _dp_record_id: `${landed.landing_run_id}:0`,
    });
    // every row leads back to its landing run through the batch id and the exact batch timestamp
    const linked = await env.db.pool.query<{ count: number }>(
      `select count(*)::int as count from bronze.test_customer as row
         join audit.system_run as landing on landing.batch_id = row."_dp_batch_id" and landing.batch_timestamp = row."_dp_batch_timestamp"
        where landing.run_id = $1`,
      [landed.landing_run_id],
    );
    expect(linked.rows[0]?.count).toBe(5);
    // microseconds survive: compare as text in the database
    const updated = await env.db.pool.query<{ text: string }>(`select to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as text from bronze.test_customer limit 1`);
    expect(updated.rows[0]?.text).toBe('2026-03-01 10:00:00.123456');

    // child entities carry their parent's key and the list index or map key
    const orders = await rowsOf('test_customer_order', landed.batch_id, 'customer_id, list_index');
    expect(orders.map((row) => [row.customer_id, row.list_index, row.order_id, row.total, row.currency])).toEqual([
      ['c-4', 0, 'c-4-o0', '40.50', 'EUR'],
      ['c-5', 0, 'c-5-o0', '50.50', 'EUR'],
      ['c-5', 1, 'c-5-o1', '51.50', 'USD'],
      ['c-7', 0, 'c-7-o0', '70.50', 'EUR'],
    ]);
    const orphans = await env.db.pool.query(`select o.customer_id from bronze.test_customer_order o left join bronze.test_customer c on c.id = o.customer_id where c.id is null`);
    expect(orphans.rows).toEqual([]);
    const tags = await rowsOf('test_customer_tag', landed.batch_id, 'customer_id, list_index');
    expect(tags).toHaveLength(7);
    expect(tags.slice(0, 3).map((row) => [row.customer_id, row.list_index, row.value])).toEqual([['c-3', 0, 'new'], ['c-4', 0, 'vip'], ['c-4', 1, 'early']]);
    const attributes = await rowsOf('test_customer_attribute', landed.batch_id, 'customer_id, attribute_name');
    expect(attributes).toHaveLength(10);
    // a key with a dot is kept as written; a scalar value is coerced to the text column
    expect(attributes.slice(0, 2).map((row) => [row.customer_id, row.attribute_name, row.value])).toEqual([['c-3', 'newsletter', 'false'], ['c-3', 'shoe.size', '43']]);
    const products = await rowsOf('test_product', landed.batch_id, 'sku');
    expect(products.map((row) => [row.sku, row.price, row.active])).toEqual([['p-1', '19.99', true], ['p-2', '19.99', true], ['p-3', '19.99', true]]);
    const readings = await rowsOf('test_reading', landed.batch_id, 'id');
    expect(readings.map((row) => [row.id, row.reading_type, row.value])).toEqual([['1', 'Thermometer', 21.5], ['2', 'Hygrometer', 55], ['3', 'Thermometer', 19.25], ['4', 'Thermometer', 21.5]]);
    // a naive timestamp is read in the system's zone (UTC for TST01)
    const measured = await env.db.pool.query<{ text: string }>(`select to_char(measured_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as text from bronze.test_reading limit 1`);
    expect(measured.rows[0]?.text).toBe('2026-03-02 09:14:27.118204');

    expect(await runsOf(landed.batch_id)).toEqual([
      { entity_id: 'test_customer', status: 'succeeded', skip_reason: null, error: null, attempt: 1, records_in: 5, records_inserted: 5, records_rejected: 0, records_deleted: 0 },
      { entity_id: 'test_customer_attribute', status: 'succeeded', skip_reason: null, error: null, attempt: 1, records_in: 5, records_inserted: 10, records_rejected: 0, records_deleted: 0 },
      { entity_id: 'test_customer_order', status: 'succeeded', skip_reason: null, error: null, attempt: 1, records_in: 5, records_inserted: 4, records_rejected: 0, records_deleted: 0 },
      { entity_id: 'test_customer_tag', status: 'succeeded', skip_reason: null, error: null, attempt: 1, records_in: 5, records_inserted: 7, records_rejected: 0, records_deleted: 0 },
      { entity_id: 'test_product', status: 'succeeded', skip_reason: null, error: null, attempt: 1, records_in: 3, records_inserted: 3, records_rejected: 0, records_deleted: 0 },
      { entity_id: 'test_reading', status: 'succeeded', skip_reason: null, error: null, attempt: 1, records_in: 4, records_inserted: 4, records_rejected: 0, records_deleted: 0 },
    ]);
    const layer = await env.db.pool.query(`select status, entities_expected, entities_succeeded from audit.system_layer_run where batch_id = $1 and layer = 'bronze'`, [landed.batch_id]);
    expect(layer.rows).toEqual([{ status: 'succeeded', entities_expected: 6, entities_succeeded: 6 }]);

    const checks = await env.db.pool.query(
      `select check_name, passed, details->>'severity' as severity, details->>'column' as column from audit.check_result where batch_id = $1 and entity_id = 'test_customer' order by check_result_id`,
      [landed.batch_id],
    );
    expect(checks.rows).toEqual([
      { check_name: 'key_not_null', passed: true, severity: 'error', column: null },
      { check_name: 'key_unique', passed: true, severity: 'error', column: null },
      // tags, orders and the attributes map have no test_customer column: reported, not silently dropped
      { check_name: 'column_count', passed: false, severity: 'warning', column: null },
      { check_name: 'row_count_min', passed: true, severity: 'error', column: null },
      { check_name: 'row_count_max', passed: true, severity: 'error', column: null },
      { check_name: 'row_count_change', passed: true, severity: 'error', column: null },
      { check_name: 'full_load_guard', passed: true, severity: 'error', column: null },
      { check_name: 'not_null', passed: true, severity: 'error', column: 'name' },
      { check_name: 'accepted_values', passed: true, severity: 'error', column: 'tier' },
      { check_name: 'regex', passed: true, severity: 'error', column: 'email' },
      { check_name: 'values_coercible', passed: true, severity: 'error', column: null },
    ]);
    expect(outcomes[0]).toMatchObject({ unmapped_fields: { attributes_newsletter: 5, attributes_shoe_size: 5, orders: 3, tags: 5 } });
    expect(env.logs.some((line) => line.msg === 'source fields that no model column reads' && line.level === 'warn')).toBe(true);

    const outbox = await env.db.pool.query(`select target_function, payload from audit.outbox where batch_id = $1 order by created_at, id`, [landed.batch_id]);
    const silverCalls = outbox.rows.filter((row) => row.target_function === 'silver').map((row) => row.payload.entity_id);
    expect(silverCalls).toEqual([...TST01_ENTITIES]);
    expect(outbox.rows.find((row) => row.target_function === 'silver')?.payload).toMatchObject({
      batch_id: landed.batch_id, system_id: 'TST01', entity_id: 'test_customer', force: false, parent_call_id: 'call-bronze-1',
    });
    // TST01 emits system-layer-processed: the last entity's call announces it once, to the subscribed action
    const events = outbox.rows.filter((row) => row.target_function === 'action-log').map((row) => row.payload);
    expect(events).toMatchObject([
      { action_id: 'log_bronze_done', parent_call_id: 'call-bronze-6', event: { event: 'system-layer-processed', layer: 'bronze', system_id: 'TST01', status: 'succeeded', counts: { entities_expected: 6, entities_succeeded: 6 } } },
    ]);
    const silverLayer = await env.db.pool.query(`select status, entities_expected from audit.system_layer_run where batch_id = $1 and layer = 'silver'`, [landed.batch_id]);
    expect(silverLayer.rows).toEqual([{ status: 'running', entities_expected: 6 }]);
  });

  it('skips a batch that already succeeded, and a forced rerun replaces its rows instead of adding to them', async () => {
    const landed = await env.land('TST01', tst01Batch());
    expect(await env.process(landed, 'test_customer_tag')).toMatchObject({ status: 'succeeded' });

    const again = await env.process(landed, 'test_customer_tag');
    expect(again).toMatchObject({ status: 'skipped', reason: 'already_succeeded' });
    expect(await rowsOf('test_customer_tag', landed.batch_id, 'customer_id, list_index')).toHaveLength(7);

    const forced = await env.process(landed, 'test_customer_tag', { force: true, callId: 'call-forced' });
    expect(forced).toMatchObject({ status: 'succeeded', counts: { records_in: 5, records_inserted: 7, records_deleted: 7 } });
    const rows = await rowsOf('test_customer_tag', landed.batch_id, 'customer_id, list_index');
    expect(rows).toHaveLength(7);
    expect(new Set(rows.map((row) => `${row._dp_call_id}/${row._dp_run_id}`))).toEqual(new Set(['call-forced/2']));
    expect((await runsOf(landed.batch_id)).map((run) => [run.status, run.skip_reason, run.attempt])).toEqual([
      ['succeeded', null, 1],
      ['skipped', 'already_succeeded', 1],
      ['succeeded', null, 2],
    ]);
    // the forced silver call is forced too, since silver applied this batch already
    const silver = await env.db.pool.query(`select payload from audit.outbox where batch_id = $1 and target_function = 'silver' order by created_at`, [landed.batch_id]);
    expect(silver.rows.map((row) => row.payload.force)).toEqual([false, true]);
  });

  it('fails only the entity whose checks fail, rolls its rows back, and names the failed checks in its audit row', async () => {
    const records = tst01Batch();
    records.customers![1] = customer('c-4', { tier: 'platinum' });
    records.customers![2] = customer('c-5', { email: 'not an email' });
    const landed = await env.land('TST01', records);
    const outcomes = [];
    for (const entity of TST01_ENTITIES) outcomes.push(await env.process(landed, entity));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const failed = outcomes[0]!;
    expect(failed.status === 'failed' && failed.error).toBeInstanceOf(DataRejectedError);
    expect(failed).toMatchObject({ failed_checks: ['accepted_values', 'regex'], counts: { records_in: 5, records_inserted: 0 } });

    expect(await rowsOf('test_customer', landed.batch_id, 'id')).toEqual([]);
    expect(await rowsOf('test_customer_order', landed.batch_id, 'customer_id')).toHaveLength(4);
    const [run] = (await runsOf(landed.batch_id)).filter((each) => each.entity_id === 'test_customer');
    expect(run).toMatchObject({ status: 'failed', records_in: 5, records_inserted: 0 });
    expect(run?.error).toBe(
      'entity test_customer: 2 checks failed: accepted_values on tier (observed 1, expected 0; e.g. platinum); regex on email (observed 1, expected 0; e.g. not an email)',
    );
    const checks = await env.db.pool.query(
      `select check_name, observed, passed, details->'samples' as samples from audit.check_result where batch_id = $1 and entity_id = 'test_customer' and not passed and details->>'severity' = 'error' order by check_name`,
      [landed.batch_id],
    );
    expect(checks.rows).toEqual([
      { check_name: 'accepted_values', observed: 1, passed: false, samples: ['platinum'] },
      { check_name: 'regex', observed: 1, passed: false, samples: ['not an email'] },
    ]);
    // silver is called for every entity all the same: it records the failed one skipped, so its layer completes
    const silverCalls = await env.db.pool.query(`select payload from audit.outbox where batch_id = $1 and target_function = 'silver' order by created_at, id`, [landed.batch_id]);
    expect(silverCalls.rows.map((row) => [row.payload.entity_id, row.payload.force])).toEqual(TST01_ENTITIES.map((entity) => [entity, false]));
    const layer = await env.db.pool.query(`select status, entities_failed, entities_succeeded from audit.system_layer_run where batch_id = $1 and layer = 'bronze'`, [landed.batch_id]);
    expect(layer.rows).toEqual([{ status: 'failed', entities_failed: 1, entities_succeeded: 5 }]);
    // test_customer emits entity-layer-processed; the failed-run action hears about this failure
    const events = await env.db.pool.query(`select payload from audit.outbox where batch_id = $1 and target_function = 'action-log'`, [landed.batch_id]);
    expect(events.rows.map((row) => row.payload)).toMatchObject([
      { action_id: 'log_failed_entity_runs', event: { event: 'entity-layer-processed', layer: 'bronze', entity_id: 'test_customer', status: 'failed', error: run?.error } },
    ]);
  });

  it('counts duplicate keys in the table when a batch has more keys than the check holds, with the same verdict', async () => {
    // a clean batch whose keys overflow the bound loads as usual, composite keys included
    const clean = await env.land('TST01', tst01Batch());
    for (const entity of TST01_ENTITIES) expect((await env.process(clean, entity, { maxTrackedKeys: 1 })).status, entity).toBe('succeeded');

    const records = tst01Batch();
    records.customers = [...records.customers!, customer('c-4', { name: 'Again' }), customer('c-4'), customer('c-5')];
    const verdict = async (maxTrackedKeys: number | undefined) => {
      const landed = await env.land('TST01', records);
      const outcome = await env.process(landed, 'test_customer', maxTrackedKeys === undefined ? {} : { maxTrackedKeys });
      const found = await env.db.pool.query(
        `select observed, details->'samples' as samples from audit.check_result where batch_id = $1 and entity_id = 'test_customer' and check_name = 'key_unique'`,
        [landed.batch_id],
      );
      return { outcome, check: found.rows, rows: await rowsOf('test_customer', landed.batch_id, 'id') };
    };
    const inMemory = await verdict(undefined);
    const inTable = await verdict(2);
    expect(inMemory.outcome).toMatchObject({ status: 'failed', failed_checks: expect.arrayContaining(['key_unique']) });
    expect(inMemory.check).toEqual([{ observed: 3, samples: [['c-4'], ['c-5']] }]);
    expect(inTable.outcome).toMatchObject({ status: 'failed', failed_checks: 'failed_checks' in inMemory.outcome ? inMemory.outcome.failed_checks : [] });
    expect(inTable.check).toEqual(inMemory.check);
    expect(inTable.rows).toEqual([]);
  });

  it('fails on a value that cannot be coerced by default, and stores null with a warning where the entity allows it', async () => {
    const records = tst01Batch();
    records.customers![0] = customer('c-3', { updated_at: 'yesterday' });
    // test_reading says on_uncoercible: null; an unknown wrapper type is reported, not loaded
    records.readings = [reading(1), reading(2, 'Thermometer', 'warm'), reading(3, 'Barometer', 1013)];
    const landed = await env.land('TST01', records);

    const customers = await env.process(landed, 'test_customer');
    expect(customers).toMatchObject({ status: 'failed', failed_checks: ['values_coercible'], counts: { records_in: 5, records_rejected: 1 } });
    const [customerRun] = await runsOf(landed.batch_id);
    expect(customerRun?.error).toBe(
      'entity test_customer: 1 check failed: values_coercible (observed 1, expected 0; e.g. entity test_customer, record 0, updated_at: cannot coerce "yesterday" to timestamptz)',
    );

    const readings = await env.process(landed, 'test_reading');
    expect(readings).toMatchObject({ status: 'succeeded', counts: { records_in: 3, records_inserted: 2, records_rejected: 1 } });
    const rows = await rowsOf('test_reading', landed.batch_id, 'id');
    expect(rows.map((row) => [row.id, row.value])).toEqual([['1', 21.5], ['2', null]]);
    const check = await env.db.pool.query(
      `select observed, passed, details->>'severity' as severity, details->'samples' as samples from audit.check_result where batch_id = $1 and entity_id = 'test_reading' and check_name = 'values_coercible'`,
      [landed.batch_id],
    );
    expect(check.rows).toEqual([
      {
        observed: 2, passed: false, severity: 'warning',
        samples: [
          'entity test_reading, record 1, value: cannot coerce "warm" to double',
          'entity test_reading, record 2, (record): unexpected type "Barometer" (accepted: Thermometer, Hygrometer)',
        ],
      },
    ]);
  });

  it('refuses a batch whose landing has not succeeded, and an unknown entity, before any audit row', async () => {
    const landed = await env.land('TST01', tst01Batch(), { status: 'failed' });
    await expect(env.process(landed, 'test_customer')).rejects.toThrow(NotFoundError);
    await expect(env.process(landed, 'no_such_entity')).rejects.toThrow(new NotFoundError('unknown entity "no_such_entity"'));
    await expect(env.process(landed, 'nightscout_entry')).rejects.toThrow('entity "nightscout_entry" belongs to system NSC01, not TST01');
    expect(await runsOf(landed.batch_id)).toEqual([]);
  });
});
