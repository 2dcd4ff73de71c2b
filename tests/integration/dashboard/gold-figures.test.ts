/**
 * The dashboard's gold figures on a real PostgreSQL: each figure's SQL over the gold table its processor makes (the
 * model's own table spec), and the note for a gold table not created yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { goldTableSpec } from '../../../shared/layers/gold/gold-table.ts';
import { existingGoldTables, readGoldFigures } from '../../../shared/layers/dashboard/gold-figures.ts';
import { ensureTable } from '../../../shared/layers/tables/ensure-table.ts';
import type { GoldEntity } from '../../../shared/metadata/entity-schema.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { modelOf, projectMetadata } from '../gold/fixtures.ts';

let db: TestDatabase;
let metadata: LoadedMetadata;
const BATCH = '01970000-0000-7000-8000-000000000001';

beforeAll(async () => {
  db = await createTestDatabase();
  metadata = await projectMetadata();
  await withTransaction(db.pool, async (tx) => {
    for (const id of ['nightscout_daily_glucose', 'bunq_monthly_spending']) await ensureTable(tx, goldTableSpec(id, modelOf(metadata, id)));
  });
  const system = `'${BATCH}'::uuid, '${BATCH}'::uuid, 'call'`;
  await db.pool.query(`
    insert into gold.nightscout_daily_glucose (day, readings, mean_sgv, min_sgv, max_sgv, time_in_range_pct, below_range_pct, above_range_pct, _dp_batch_id, _dp_run_id, _dp_call_id)
    values ('2024-01-01', 288, 140.5, 60, 250, 70, 5, 25, ${system}),
           ('2025-03-09', 288, 131.25, 62, 240, 80, 2, 18, ${system}),
           ('2025-03-10', 100, 118, 80, 190, 90, 0, 10, ${system})`);
  await db.pool.query(`
    insert into gold.bunq_monthly_spending (month, counterparty, currency, counterparty_name, counterparty_iban, payments, total_out, total_in, _dp_batch_id, _dp_run_id, _dp_call_id)
    values ('2025-01-01', 'NL01SHOP', 'EUR', 'Shop', 'NL01SHOP', 3, 120.50, 0, ${system}),
           ('2025-01-01', 'NL02WORK', 'EUR', 'Employer', 'NL02WORK', 1, 0, 2500, ${system}),
           ('2025-02-01', 'NL01SHOP', 'EUR', 'Shop', 'NL01SHOP', 2, 80.25, 0, ${system})`);
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

const goldEntities = (): GoldEntity[] => metadata.entities.filter((entity): entity is GoldEntity => entity.kind === 'gold');

describe('readGoldFigures', () => {
  it("charts daily glucose over the table's last 90 days and monthly spending summed over counterparties", async () => {
    const figures = await readGoldFigures(db.pool, goldEntities(), await existingGoldTables(db.pool));
    const glucose = figures.find((figure) => figure.entity_id === 'nightscout_daily_glucose');
    expect(glucose?.chart?.labels).toEqual(['2025-03-09', '2025-03-10']);
    expect(glucose?.chart?.series.find((series) => series.label === 'mean')?.data).toEqual([131.25, 118]);
    const spending = figures.find((figure) => figure.entity_id === 'bunq_monthly_spending');
    expect(spending?.chart?.labels).toEqual(['2025-01', '2025-02']);
    expect(spending?.chart?.series.map((series) => [series.label, series.data])).toEqual([
      ['out EUR', [120.5, 80.25]],
      ['in EUR', [2500, 0]],
    ]);
  });

  it('says which gold table is not created yet instead of charting it', async () => {
    const figures = await readGoldFigures(db.pool, goldEntities(), await existingGoldTables(db.pool));
    expect(figures.find((figure) => figure.entity_id === 'test_customer_order_total')).toEqual({
      entity_id: 'test_customer_order_total',
      system_id: 'TST01',
      title: 'Order totals per customer (largest 20)',
      chart: null,
      note: 'gold.test_customer_order_total is not created yet: TST01 has not finished a gold run.',
    });
  });
});
