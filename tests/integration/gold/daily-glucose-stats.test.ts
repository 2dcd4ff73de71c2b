import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { processGoldRequest } from '../../../shared/layers/gold/process-gold-request.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { landBatch } from '../silver-function/fixtures.ts';
import { goldContext, modelOf, projectMetadata, readGold, readGoldRows, writeSilver, type SilverRow } from './fixtures.ts';

let db: TestDatabase;
let metadata: LoadedMetadata;
let entryModel: EntityModel;
let dailyModel: EntityModel;

/** A CGM reading at an instant: `date` in epoch milliseconds (how Nightscout sends it) and `sys_time`. */
function reading(id: string, at: string, sgv: number | null, extra: Partial<SilverRow> = {}): SilverRow {
  return { id, type: 'sgv', sgv, date: Date.parse(at), sys_time: new Date(at), ...extra };
}

// NSC01 is in Europe/Amsterdam: CET (UTC+1) until 2025-03-30 02:00, CEST (UTC+2) until 2025-10-26 03:00.
const entries: SilverRow[] = [
  reading('r01', '2025-03-29T22:59:00Z', 100), // 23:59 CET, the 29th
  reading('r02', '2025-03-29T23:30:00Z', 65), // 00:30 CET, the 30th (the 29th in UTC)
  reading('r03', '2025-03-30T01:30:00Z', 70), // 03:30 CEST: the clock jumped an hour; 70 is in range
  reading('r04', '2025-03-30T12:00:00Z', 180), // 180 is in range too
  reading('r04b', '2025-03-30T12:00:00Z', 400), // the same instant again: one reading, r04 (the lower id) counts
  reading('r05', '2025-03-30T18:00:00Z', 181),
  reading('r06', '2025-03-30T21:59:00Z', 120), // 23:59 CEST, still the 30th
  reading('r07', '2025-03-30T22:00:00Z', 100), // 00:00 CEST, the 31st (the 30th in UTC)
  reading('r08', '2025-03-31T06:00:00Z', 101, { date: null }), // no epoch: sys_time gives the instant
  reading('r09', '2025-03-31T12:00:00Z', 250),
  reading('r10', '2025-03-30T10:00:00Z', 300, { version: 'old' }), // an earlier version: not what is true now
  reading('r11', '2025-03-30T11:00:00Z', 400, { version: 'deleted' }),
  reading('r12', '2025-03-30T09:00:00Z', null, { type: 'mbg', mbg: 90 }), // a meter reading, not CGM
  reading('r13', '2025-03-30T08:00:00Z', 5), // a Dexcom sensor state, not a glucose value
  reading('r20', '2025-10-25T22:30:00Z', 90), // 00:30 CEST, the 26th (the 25th in UTC)
  reading('r21', '2025-10-26T22:30:00Z', 95), // 23:30 CET: the 26th had 25 hours
  reading('r22', '2025-10-26T23:30:00Z', 200), // 00:30 CET, the 27th
];

const day = (date: string, readings: number, mean: string, min: number, max: number, inRange: string, below: string, above: string) => ({
  day: date,
  readings,
  mean_sgv: mean,
  min_sgv: min,
  max_sgv: max,
  time_in_range_pct: inRange,
  below_range_pct: below,
  above_range_pct: above,
});

beforeAll(async () => {
  db = await createTestDatabase();
  metadata = await projectMetadata([
    {
      id: 'nightscout_daily_glucose_utc',
      system_id: 'NSC01',
      kind: 'gold',
      sources: ['nightscout_entry'],
      processor: { name: 'daily_glucose_stats', options: { timezone: 'UTC', low_mg_dl: 70, high_mg_dl: 180 } },
      model: 'nightscout_daily_glucose',
    },
  ]);
  entryModel = modelOf(metadata, 'nightscout_entry');
  dailyModel = modelOf(metadata, 'nightscout_daily_glucose');
  await writeSilver(db.pool, 'nightscout_entry', entryModel, entries);
});
afterAll(async () => {
  await db.drop();
});

async function recompute(goldEntityId: string) {
  const batch = await landBatch(db.pool, 'NSC01', new Date());
  const outcome = await processGoldRequest({ gold_entity_id: goldEntityId, batch_id: batch.batch_id, force: true }, goldContext(db.pool, metadata));
  if (outcome.status !== 'succeeded') throw new Error(`gold did not succeed: ${JSON.stringify(outcome)}`);
  return outcome.counts;
}

describe('daily_glucose_stats', () => {
  it('computes each day in the system time zone across both DST changes, from current CGM readings only', async () => {
    const counts = await recompute('nightscout_daily_glucose');

    expect(await readGold(db.pool, 'nightscout_daily_glucose', dailyModel)).toEqual([
      day('2025-03-29', 1, '100.0', 100, 100, '100.0', '0.0', '0.0'),
      // 65 70 180 181 120: mean 616/5; 70 and 180 are in range (inclusive), 65 below, 181 above
      day('2025-03-30', 5, '123.2', 65, 181, '60.0', '20.0', '20.0'),
      // 100 101 250: mean 451/3 = 150.33…; 2 of 3 in range = 66.66…%
      day('2025-03-31', 3, '150.3', 100, 250, '66.7', '0.0', '33.3'),
      day('2025-10-26', 2, '92.5', 90, 95, '100.0', '0.0', '0.0'),
      day('2025-10-27', 1, '200.0', 200, 200, '0.0', '0.0', '100.0'),
    ]);
    expect(counts).toEqual({ records_in: 5, records_inserted: 5, records_updated: 0, records_deleted: 0, records_unchanged: 0 });
  });

  it('takes days in the zone its options name instead', async () => {
    await recompute('nightscout_daily_glucose_utc');

    expect(await readGold(db.pool, 'nightscout_daily_glucose_utc', dailyModel)).toEqual([
      day('2025-03-29', 2, '82.5', 65, 100, '50.0', '50.0', '0.0'), // 100 and 65
      day('2025-03-30', 5, '130.2', 70, 181, '80.0', '0.0', '20.0'), // 70 180 181 120 100
      day('2025-03-31', 2, '175.5', 101, 250, '50.0', '0.0', '50.0'), // 101 250
      day('2025-10-25', 1, '90.0', 90, 90, '100.0', '0.0', '0.0'),
      day('2025-10-26', 2, '147.5', 95, 200, '50.0', '0.0', '50.0'),
    ]);
  });

  it('gives the same table when run twice on the same silver, touching no row', async () => {
    await recompute('nightscout_daily_glucose');
    const before = await readGoldRows(db.pool, 'nightscout_daily_glucose', dailyModel);

    const counts = await recompute('nightscout_daily_glucose');

    expect(counts).toEqual({ records_in: 5, records_inserted: 0, records_updated: 0, records_deleted: 0, records_unchanged: 5 });
    expect(await readGoldRows(db.pool, 'nightscout_daily_glucose', dailyModel)).toEqual(before);
  });

  it('updates the days whose readings changed and deletes the days that have none left', async () => {
    await recompute('nightscout_daily_glucose');
    await writeSilver(db.pool, 'nightscout_entry', entryModel, [reading('r30', '2025-03-29T12:00:00Z', 200)]);
    await db.pool.query(
      `update silver.nightscout_entry
          set "_dp_valid_to" = now(), "_dp_is_deleted" = true
        where id = 'r22'`,
    );

    const counts = await recompute('nightscout_daily_glucose');

    expect(counts).toEqual({ records_in: 4, records_inserted: 0, records_updated: 1, records_deleted: 1, records_unchanged: 3 });
    const days = await readGold(db.pool, 'nightscout_daily_glucose', dailyModel);
    expect(days.map((row) => row.day)).toEqual(['2025-03-29', '2025-03-30', '2025-03-31', '2025-10-26']);
    expect(days[0]).toEqual(day('2025-03-29', 2, '150.0', 100, 200, '50.0', '0.0', '50.0'));
  });
});
