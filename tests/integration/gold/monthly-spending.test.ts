import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { processGoldRequest } from '../../../shared/layers/gold/process-gold-request.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { landBatch } from '../silver-function/fixtures.ts';
import { goldContext, modelOf, projectMetadata, readGold, readGoldRows, writeSilver, type SilverRow } from './fixtures.ts';

let db: TestDatabase;
let metadata: LoadedMetadata;
let paymentModel: EntityModel;
let spendingModel: EntityModel;

/** A bunq payment: amounts as the exact decimal strings bunq sends. */
function payment(id: number, created: string, amount: string, counterparty: { iban?: string; name?: string }, extra: Partial<SilverRow> = {}): SilverRow {
  return {
    id,
    object_type: 'Payment',
    monetary_account_id: 1,
    created: new Date(created),
    amount_value: amount,
    amount_currency: 'EUR',
    counterparty_alias_iban: counterparty.iban ?? null,
    counterparty_alias_display_name: counterparty.name ?? null,
    ...extra,
  };
}

const AH = 'NL01BUNQ0000000001';
const EMPLOYER = 'NL02BUNQ0000000002';

// BNQ01 is in Europe/Amsterdam (CET, UTC+1, in January and February).
const payments: SilverRow[] = [
  payment(1, '2025-01-15T10:00:00Z', '-0.20', { iban: AH, name: 'Albert Heijn' }),
  payment(2, '2025-01-31T22:30:00Z', '-0.10', { iban: AH, name: 'AH' }), // 23:30 CET: still January, and January's latest name
  payment(3, '2025-01-31T23:30:00Z', '-12.50', { iban: AH, name: 'Albert Heijn' }), // 00:30 CET: February
  payment(4, '2025-02-10T10:00:00Z', '-0.20', { iban: AH, name: 'Albert Heijn BV' }),
  payment(5, '2025-02-19T10:00:00Z', '10.00', { iban: AH, name: 'Albert Heijn' }), // a refund: money in, February's latest name
  payment(6, '2025-02-15T10:00:00Z', '2500.00', { iban: EMPLOYER, name: 'Employer' }),
  payment(7, '2025-02-16T10:00:00Z', '-7.35', { name: 'Coffee Shop' }), // a card payment: no IBAN, grouped by name
  payment(8, '2025-02-17T10:00:00Z', '-2.65', { name: 'Coffee Shop' }),
  payment(9, '2025-02-18T10:00:00Z', '0.00', {}), // no counterparty at all; moves no money
  payment(10, '2025-02-20T10:00:00Z', '-5.00', { iban: AH, name: 'Albert Heijn' }, { amount_currency: 'USD' }),
  payment(4, '2025-02-10T10:00:00Z', '-99.99', { iban: AH, name: 'Albert Heijn BV' }, { version: 'old' }), // an earlier version of 4
  payment(11, '2025-02-21T10:00:00Z', '-1000.00', { iban: AH, name: 'Albert Heijn' }, { version: 'deleted' }),
];

const row = (month: string, counterparty: string, currency: string, name: string | null, iban: string | null, count: number, out: string, into: string) => ({
  month,
  counterparty,
  currency,
  counterparty_name: name,
  counterparty_iban: iban,
  payments: count,
  total_out: out,
  total_in: into,
});

beforeAll(async () => {
  db = await createTestDatabase();
  metadata = await projectMetadata();
  paymentModel = modelOf(metadata, 'bunq_payment');
  spendingModel = modelOf(metadata, 'bunq_monthly_spending');
  await writeSilver(db.pool, 'bunq_payment', paymentModel, payments);
});
afterAll(async () => {
  await db.drop();
});

async function recompute() {
  const batch = await landBatch(db.pool, 'BNQ01', new Date());
  const outcome = await processGoldRequest({ gold_entity_id: 'bunq_monthly_spending', batch_id: batch.batch_id, force: true }, goldContext(db.pool, metadata));
  if (outcome.status !== 'succeeded') throw new Error(`gold did not succeed: ${JSON.stringify(outcome)}`);
  return outcome.counts;
}

describe('monthly_spending', () => {
  it('sums money out and in per month, counterparty and currency, exactly to the cent', async () => {
    const counts = await recompute();

    expect(await readGold(db.pool, 'bunq_monthly_spending', spendingModel)).toEqual([
      // 0.20 + 0.10: exactly 0.30 (binary floating point would give 0.30000000000000004)
      row('2025-01-01', AH, 'EUR', 'AH', AH, 2, '0.30', '0'),
      row('2025-02-01', '(unknown)', 'EUR', null, null, 1, '0', '0'),
      row('2025-02-01', 'Coffee Shop', 'EUR', 'Coffee Shop', null, 2, '10.00', '0'),
      // -12.50 and -0.20 out, 10.00 in; the earlier version (-99.99) and the deleted payment (-1000.00) are not counted
      row('2025-02-01', AH, 'EUR', 'Albert Heijn', AH, 3, '12.70', '10.00'),
      row('2025-02-01', AH, 'USD', 'Albert Heijn', AH, 1, '5.00', '0'),
      row('2025-02-01', EMPLOYER, 'EUR', 'Employer', EMPLOYER, 1, '0', '2500.00'),
    ]);
    expect(counts).toMatchObject({ records_in: 6, records_inserted: 6 });
  });

  it('gives the same table when run twice on the same silver', async () => {
    await recompute();
    const before = await readGoldRows(db.pool, 'bunq_monthly_spending', spendingModel);

    const counts = await recompute();

    expect(counts).toEqual({ records_in: 6, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 6 });
    expect(await readGoldRows(db.pool, 'bunq_monthly_spending', spendingModel)).toEqual(before);
  });
});
