/**
 * The benchmark's source data: N customer records of a realistic shape (a nested address object, a list of
 * two to four orders, text, numeric, integer, boolean, date and timestamp values), and a second batch of the
 * same keys with 10% changed (half in SCD1 columns only, half in SCD2 columns), 1% absent and 5% new.
 * Pure and deterministic: record i of a batch is always the same, so counts can be known in advance.
 */
import type { JsonObject } from '../../shared/core/json.ts';

/** Which of the two benchmark batches: 1 is the initial full load, 2 the changed full load. */
export type BenchBatch = 1 | 2;

/** What batch 2 does to a key of batch 1. */
export type KeyFate = 'same' | 'scd1' | 'scd2' | 'absent';

const TIERS = ['bronze', 'silver', 'gold'] as const;
const CITIES = ['Amsterdam', 'Utrecht', 'Rotterdam', 'Leiden', 'Delft', 'Gouda', 'Zwolle', 'Breda', 'Arnhem', 'Haarlem'] as const;
const CURRENCIES = ['EUR', 'USD'] as const;
const DAY_MS = 86_400_000;
const BIRTH_EPOCH = Date.UTC(1950, 0, 1);
const UPDATED_EPOCH = Date.UTC(2025, 0, 1);

/** The fate of key `i` (of batch 1) in batch 2: 1% absent, 5% changed in SCD1 columns, 5% in SCD2 columns. */
export function keyFate(i: number): KeyFate {
  if (i % 100 === 99) return 'absent';
  if (i % 20 === 0) return 'scd1';
  if (i % 20 === 10) return 'scd2';
  return 'same';
}

/** Keys batch 2 adds: 5% of N, numbered after batch 1's. */
export function newKeyCount(rows: number): number {
  return Math.floor(rows / 20);
}

/** Orders of customer `i`: two to four, three on average. */
export function orderCount(i: number): number {
  return 2 + (i % 3);
}

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length] as T;
}

function customerId(i: number): string {
  return `c${String(i).padStart(9, '0')}`;
}

/** Customer `i` as the source would send it in `batch`. */
export function customerRecord(i: number, batch: BenchBatch): JsonObject {
  const fate = batch === 2 ? keyFate(i) : 'same';
  const scd1 = fate === 'scd1';
  const scd2 = fate === 'scd2';
  const orders: JsonObject[] = [];
  for (let k = 0; k < orderCount(i); k += 1) {
    orders.push({
      order_id: `o${i}-${k}`,
      placed_at: new Date(UPDATED_EPOCH + ((i * 7 + k) % 365) * DAY_MS + k * 3_600_000).toISOString(),
      total: Math.round(((i % 9_000) + k * 13.37 + 1) * 100) / 100,
      currency: pick(CURRENCIES, i + k),
      quantity: 1 + ((i + k) % 5),
    });
  }
  return {
    id: customerId(i),
    name: `Customer ${i}`,
    email: scd1 ? `customer.${i}@example.net` : `customer${i}@example.org`,
    tier: pick(TIERS, scd2 ? i + 1 : i),
    score: Math.round((i % 100_000) * 1.7) / 100,
    visits: (i % 500) + (scd1 ? 1 : 0),
    active: i % 7 !== 0,
    birth_date: new Date(BIRTH_EPOCH + (i % 18_000) * DAY_MS).toISOString().slice(0, 10),
    updated_at: new Date(UPDATED_EPOCH + (i % 1_000_000) * 1_000 + (scd1 ? 3_600_000 : 0)).toISOString(),
    address: {
      street: `${(i % 300) + 1} Keizersgracht`,
      city: pick(CITIES, scd2 ? i + 3 : i),
      postcode: `${1000 + (i % 9000)} AB`,
      country: 'NL',
    },
    orders,
  };
}

/** The keys of a batch in the order the source sends them: batch 1 is 0…N−1; batch 2 skips the absent ones and appends the new ones. */
export function* batchKeys(rows: number, batch: BenchBatch): Generator<number> {
  if (batch === 1) {
    for (let i = 0; i < rows; i += 1) yield i;
    return;
  }
  for (let i = 0; i < rows; i += 1) if (keyFate(i) !== 'absent') yield i;
  const added = newKeyCount(rows);
  for (let i = rows; i < rows + added; i += 1) yield i;
}

/** The records of a batch, one at a time. */
export function* batchRecords(rows: number, batch: BenchBatch): Generator<JsonObject> {
  for (const i of batchKeys(rows, batch)) yield customerRecord(i, batch);
}

/** What silver must report for one entity and batch, as `audit.entity_layer_run` names the counts. */
export interface ExpectedSilverCounts {
  readonly records_in: number;
  readonly records_inserted: number;
  readonly records_updated: number;
  readonly records_deleted: number;
}

/** The rows each layer must see for N, per entity; what the benchmark checks its stages against. */
export interface ExpectedCounts {
  /** Landing records of batch 1 and batch 2. */
  readonly landing: { readonly batch1: number; readonly batch2: number };
  /** Bronze rows of batch 1 and 2: customers and orders. */
  readonly bronze: { readonly batch1: { readonly customers: number; readonly orders: number }; readonly batch2: { readonly customers: number; readonly orders: number } };
  readonly silverInitial: { readonly customers: ExpectedSilverCounts; readonly orders: ExpectedSilverCounts };
  readonly silverDelta: { readonly customers: ExpectedSilverCounts; readonly orders: ExpectedSilverCounts };
}

/** Counts every layer must report for N records, derived from the same rules as the records themselves. */
export function expectedCounts(rows: number): ExpectedCounts {
  let orders1 = 0;
  let absent = 0;
  let absentOrders = 0;
  let scd1 = 0;
  let scd2 = 0;
  for (let i = 0; i < rows; i += 1) {
    orders1 += orderCount(i);
    const fate = keyFate(i);
    if (fate === 'absent') {
      absent += 1;
      absentOrders += orderCount(i);
    } else if (fate === 'scd1') scd1 += 1;
    else if (fate === 'scd2') scd2 += 1;
  }
  const added = newKeyCount(rows);
  let addedOrders = 0;
  for (let i = rows; i < rows + added; i += 1) addedOrders += orderCount(i);
  const customers2 = rows - absent + added;
  const orders2 = orders1 - absentOrders + addedOrders;
  return {
    landing: { batch1: rows, batch2: customers2 },
    bronze: { batch1: { customers: rows, orders: orders1 }, batch2: { customers: customers2, orders: orders2 } },
    silverInitial: {
      customers: { records_in: rows, records_inserted: rows, records_updated: 0, records_deleted: 0 },
      orders: { records_in: orders1, records_inserted: orders1, records_updated: 0, records_deleted: 0 },
    },
    silverDelta: {
      // An SCD2 change closes the open version (updated) and opens a new one (inserted); SCD1 updates in place.
      customers: { records_in: customers2, records_inserted: added + scd2, records_updated: scd1 + scd2, records_deleted: absent },
      orders: { records_in: orders2, records_inserted: addedOrders, records_updated: 0, records_deleted: absentOrders },
    },
  };
}

/** Rows each reported stage must have processed, by stage name (what the smoke test checks). */
export function expectedStageRows(rows: number): Readonly<Record<'landing' | 'bronze' | 'silver_initial' | 'silver_delta', number>> {
  const counts = expectedCounts(rows);
  const bronze1 = counts.bronze.batch1.customers + counts.bronze.batch1.orders;
  return {
    landing: counts.landing.batch1,
    bronze: bronze1,
    silver_initial: bronze1,
    silver_delta: counts.silverDelta.customers.records_in + counts.silverDelta.orders.records_in,
  };
}
