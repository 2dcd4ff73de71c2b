import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../shared/core/json.ts';
import { bunqDataset, QUIRK_PAYMENT_ID } from '../../fixtures/bunq/dataset.ts';
import { nightscoutDataset } from '../../fixtures/nightscout/dataset.ts';
import { createBronzeTestEnv, type BronzeTestEnv, type Landed } from './bronze-test-env.ts';

const NSC01_ENTITIES = [
  'nightscout_entry',
  'nightscout_treatment',
  'nightscout_devicestatus',
  'nightscout_devicestatus_prediction',
  'nightscout_profile',
  'nightscout_profile_store',
];

describe('processEntityBatch on recorded-shape sources', () => {
  let env: BronzeTestEnv;
  beforeAll(async () => {
    env = await createBronzeTestEnv('bronze_recorded');
  });
  afterAll(async () => {
    await env.close();
  });

  const inserted = async (landed: Landed): Promise<Record<string, number>> => {
    const runs = await env.db.pool.query<{ entity_id: string; records_inserted: number }>(
      `select entity_id, records_inserted from audit.entity_layer_run where batch_id = $1 and layer = 'bronze' and status = 'succeeded'`,
      [landed.batch_id],
    );
    return Object.fromEntries(runs.rows.map((run) => [run.entity_id, run.records_inserted]));
  };

  it('loads a Nightscout landing (NSC01): entries with string glucose, devicestatus predictions and profile stores as child rows', async () => {
    const data = nightscoutDataset();
    const landed = await env.land('NSC01', {
      entries: data.entries as JsonValue[],
      treatments: data.treatments as JsonValue[],
      devicestatus: data.devicestatus as JsonValue[],
      profile: data.profile as JsonValue[],
    });
    const outcomes = [];
    for (const entity of NSC01_ENTITIES) outcomes.push(await env.process(landed, entity));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(NSC01_ENTITIES.map(() => 'succeeded'));
    expect(await inserted(landed)).toEqual({
      nightscout_entry: data.entries.length,
      nightscout_treatment: data.treatments.length,
      nightscout_devicestatus: 2,
      // only the Loop document has loop.predicted.values
      nightscout_devicestatus_prediction: 8,
      nightscout_profile: 2,
      // Default and Exercise in the current profile, one store in the older one
      nightscout_profile_store: 3,
    });

    // the drift document: sgv "5" (a string) becomes the integer 5; the -07:00 dateString is kept as text
    const drift = await env.db.pool.query(
      `select id, type, sgv, direction, date, date_string, sys_time from bronze.nightscout_entry where id = '5f2b6a1e9c8d7e6f5a4b3c2d'`,
    );
    expect(drift.rows).toEqual([
      { id: '5f2b6a1e9c8d7e6f5a4b3c2d', type: 'sgv', sgv: 5, direction: 'NOT COMPUTABLE', date: '1773850200000', date_string: '2026-03-18T09:10:00.000-07:00', sys_time: null },
    ]);
    const predictions = await env.db.pool.query(
      `select p.devicestatus_id, p.list_index, p.value from bronze.nightscout_devicestatus_prediction p
         join bronze.nightscout_devicestatus d on d.id = p.devicestatus_id order by p.list_index limit 2`,
    );
    expect(predictions.rows).toHaveLength(2);
    expect(predictions.rows[0]).toMatchObject({ list_index: 0 });
    const stores = await env.db.pool.query<{ profile_name: string; basal: unknown }>(
      `select s.profile_name, s.basal from bronze.nightscout_profile_store s join bronze.nightscout_profile p on p.id = s.profile_id order by s.profile_name`,
    );
    expect(stores.rows.map((row) => row.profile_name)).toContain('Exercise');
    expect(Array.isArray(stores.rows[0]?.basal)).toBe(true);
    // fields the models leave out are reported on the run's column-count check, never dropped silently
    const columnCount = await env.db.pool.query(
      `select passed, details->'unmapped_fields' as unmapped from audit.check_result where batch_id = $1 and entity_id = 'nightscout_devicestatus' and check_name = 'column_count'`,
      [landed.batch_id],
    );
    expect(columnCount.rows[0]).toMatchObject({ passed: false, unmapped: { loop_predicted_values: 1, openaps_suggested_bg: 1 } });
    // The whole recorded dataset goes through FerretDB (~1 ms a document): 10 s seen on a busy machine, where
    // vitest's default 30 s left no room for a busier one.
  }, 120_000);

  it('loads a bunq landing (BNQ01): type-wrapped accounts and payments, exact amounts, naive timestamps in Amsterdam time', async () => {
    const data = bunqDataset();
    const landed = await env.land('BNQ01', {
      monetary_accounts: data.accounts.map((account) => ({ [account.type]: account.body }) as JsonValue),
      payments: data.payments.map((payment) => JSON.parse(payment.raw) as JsonValue),
    });
    expect(await env.process(landed, 'bunq_monetary_account')).toMatchObject({ status: 'succeeded' });
    expect(await env.process(landed, 'bunq_payment')).toMatchObject({ status: 'succeeded' });
    expect(await inserted(landed)).toEqual({ bunq_monetary_account: 3, bunq_payment: 350 });

    const accounts = await env.db.pool.query(`select id, account_type, currency, alias from bronze.bunq_monetary_account order by id`);
    expect(accounts.rows.map((row) => row.account_type)).toEqual(data.accounts.map((account) => account.type));
    expect(accounts.rows[0]?.alias).toEqual(data.accounts[0]?.body.alias);

    const quirk = await env.db.pool.query(
      `select id, object_type, amount_value::text, amount_currency, description, counterparty_alias_iban,
              alias_display_name, payment_batch_id, geolocation_latitude,
              to_char(created at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as created_utc
         from bronze.bunq_payment where id = $1`,
      [QUIRK_PAYMENT_ID],
    );
    expect(quirk.rows).toEqual([
      {
        id: String(QUIRK_PAYMENT_ID), object_type: 'Payment', amount_value: '-12.50', amount_currency: 'EUR', description: 'Order 77',
        counterparty_alias_iban: null, alias_display_name: 'A. User', payment_batch_id: null, geolocation_latitude: 52.37,
        // 09:14:27.118204 in Amsterdam (CET, +01:00) on 2 March
        created_utc: '2026-03-02 08:14:27.118204',
      },
    ]);
    const sum = await env.db.pool.query<{ total: string }>(`select sum(amount_value)::text as total from bronze.bunq_payment`);
    const expected = data.payments.reduce((total, payment) => total + Math.round(Number((JSON.parse(payment.raw) as { Payment: { amount: { value: string } } }).Payment.amount.value) * 100), 0);
    expect(sum.rows[0]?.total).toBe((expected / 100).toFixed(2));
  });
});
