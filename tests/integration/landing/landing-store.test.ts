import { fc, test } from '@fast-check/vitest';
import { MongoNotConnectedError, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLandingStore, landingRunFilter, type LandedRecord, type LandingRunRef, type LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import type { JsonValue } from '../../../shared/core/json.ts';
import { writeJsonText } from '../../../shared/core/landing-encoding.ts';
import { DataRejectedError } from '../../../shared/errors.ts';
import { newBatchId, newRunId } from '../../../shared/runs/ids.ts';
import { anyJson, nastyJson, nestedArrays, nestedObjects } from '../../unit/landing/nasty-json.ts';
import { connectTestMongo, uniqueLandingDatabase } from './landing-test-env.ts';

let client: MongoClient;
let database: string;
let store: LandingStore;

beforeAll(async () => {
  client = await connectTestMongo();
  database = uniqueLandingDatabase('store');
  store = createLandingStore(client.db(database), { chunkRecords: 8 });
});

afterAll(async () => {
  await client.db(database).dropDatabase();
  await client.close();
});

function newRun(system_id = 'TST01', batch_id = newBatchId()): LandingRunRef {
  return { system_id, batch_id, batch_timestamp: new Date('2026-03-01T12:00:00.000Z'), run_id: newRunId(), call_id: 'call-1' };
}

async function land(run: LandingRunRef, landing_entity: string, records: readonly JsonValue[]): Promise<void> {
  const writer = store.openWriter(run);
  for (const record of records) await writer.append(landing_entity, record);
  await writer.flush();
}

async function readAll(run: LandingRunRef, landing_entity: string): Promise<LandedRecord[]> {
  const read: LandedRecord[] = [];
  for await (const record of store.readRun({ ...run, landing_entity })) read.push(record);
  return read;
}

describe('landing store', () => {
  it('numbers records per landing entity and reads them back in order, across chunks', async () => {
    const run = newRun();
    const writer = store.openWriter(run);
    for (let i = 0; i < 30; i += 1) {
      await writer.append('customers', { id: `c${i}` });
      if (i % 3 === 0) await writer.append('products', { sku: `p${i}` });
    }
    await writer.flush();
    expect(writer.counts()).toEqual({ customers: 30, products: 10 });
    const customers = await readAll(run, 'customers');
    expect(customers.map((record) => record.position)).toEqual([...Array(30).keys()]);
    expect(customers[17]).toEqual({ record_id: `${run.run_id}:17`, position: 17, record: { id: 'c17' } });
    expect((await readAll(run, 'products')).map((record) => record.record)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map((i) => ({ sku: `p${i}` })));
  });

  it('stores the system fields beside the record, which stays untouched', async () => {
    const run = newRun();
    await land(run, 'readings', [{ _id: 'source-own-id', _dp: 'source field', Thermometer: { id: 1 } }]);
    const stored = await client.db(database).collection('TST01__readings').findOne({ '_dp.run_id': run.run_id });
    expect(stored).toEqual({
      _id: `${run.run_id}:0`,
      _dp_run_id: run.run_id,
      _dp: { system_id: 'TST01', batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, run_id: run.run_id, call_id: 'call-1', position: 0 },
      record: { _id: 'source-own-id', _dp: 'source field', Thermometer: { id: 1 } },
    });
  });

  it.each<[string, JsonValue]>([
    ['a dot in a key', { 'pref.language': 'nl' }],
    ['a key starting with $', { $type: 'x', nested: { $ref: 1 } }],
    ['an empty key', { '': '' }],
    ['arrays inside arrays', { coordinates: [[4.89, 52.37], [5.12, 52.09]] }],
    ['a NUL in a string and in a key', { 'a\u0000b': 'x\u0000y' }],
    ['a lone surrogate', { nick: 'Anna \ud83d' }],
    ['-0', { delta: -0 }],
    ['unicode keys and values', { ключ: 'значение ✨', 'e\u0301': '😀' }],
    ['nesting beyond what MongoDB allows', nestedObjects(150)],
    ['nesting beyond what JSON.stringify can write', nestedArrays(10_000)],
    ['a key named like an Object.prototype member holding objects in a list', { constructor: [{ name: 'x' }], toString: [{}] }],
    ['a record that is not an object', [1, 'two', null]],
  ])('reads back exactly: %s', async (_case, record) => {
    const run = newRun();
    await land(run, 'odd_records', [record]);
    const [read] = await readAll(run, 'odd_records');
    expect(writeJsonText(read?.record ?? null)).toBe(writeJsonText(record));
  });

  it('keeps the runs of one batch apart and removes one run from every collection of the system', async () => {
    const failed = newRun();
    const succeeded = { ...newRun('TST01', failed.batch_id) };
    await land(failed, 'customers', [{ id: 'half' }]);
    await land(succeeded, 'customers', [{ id: 'a' }, { id: 'b' }]);
    await land(succeeded, 'products', [{ sku: 'x' }]);
    expect((await readAll(succeeded, 'customers')).map((record) => record.record)).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(await store.removeRun({ system_id: 'TST01', batch_id: failed.batch_id, run_id: failed.run_id })).toBe(1);
    expect(await readAll(failed, 'customers')).toEqual([]);
    expect(await readAll(succeeded, 'customers')).toHaveLength(2);
    expect(await store.removeRun({ system_id: 'TST01', batch_id: failed.batch_id, run_id: succeeded.run_id })).toBe(3);
    expect(await readAll(succeeded, 'customers')).toEqual([]);
  });

  it('treats documents already stored by a lost chunk write as written', async () => {
    const run = newRun();
    const collection = client.db(database).collection('TST01__retried');
    await collection.insertOne({ _id: `${run.run_id}:2` as never, _dp_run_id: run.run_id, _dp: { ...run, position: 2 }, record: { n: 2 } });
    await land(run, 'retried', [0, 1, 2, 3].map((n) => ({ n })));
    expect((await readAll(run, 'retried')).map((record) => record.record)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('reads a run landed before _dp_run_id existed by its _dp fields alone', async () => {
    const legacy = newRun();
    const other = newRun('TST01', legacy.batch_id);
    const collection = client.db(database).collection('TST01__legacy');
    // as the store wrote them before: no top-level _dp_run_id; stored out of order
    await collection.insertMany([2, 0, 1].map((position) => ({ _id: `${legacy.run_id}:${position}` as never, _dp: { ...legacy, position }, record: { n: position } })));
    await land(other, 'legacy', [{ n: 'other' }]);
    expect((await readAll(legacy, 'legacy')).map((record) => [record.record_id, record.record])).toEqual(
      [0, 1, 2].map((n) => [`${legacy.run_id}:${n}`, { n }]),
    );
    expect((await readAll(other, 'legacy')).map((record) => record.record)).toEqual([{ n: 'other' }]);
    expect(await readAll(newRun('TST01', legacy.batch_id), 'legacy')).toEqual([]);
  });

  it('reads a run with a filter the database answers without reading the whole collection', async () => {
    const run = newRun();
    await land(run, 'explained', [{ n: 0 }, { n: 1 }]);
    const explained = await client.db(database).command({
      explain: { find: 'TST01__explained', filter: landingRunFilter(run), sort: { '_dp.position': 1 } },
    });
    if ('filterPushdown' in explained) {
      // FerretDB v1: the top-level _dp_run_id reaches PostgreSQL (dotted paths would be filtered in FerretDB)
      expect(explained.filterPushdown).toBe(true);
      expect(JSON.stringify(explained.queryPlanner)).toContain('_dp_run_id');
    } else {
      // MongoDB: the landing index, already in position order
      const plan = JSON.stringify(explained.queryPlanner.winningPlan);
      expect(plan).toContain('IXSCAN');
      expect(plan).not.toContain('"stage":"SORT"');
    }
  });

  it('writes a full chunk while the next fills, and settle waits for it so a removal after it leaves nothing', async () => {
    const run = newRun();
    const writer = store.openWriter(run);
    for (let n = 0; n < 8; n += 1) await writer.append('in_flight', { n }); // the 8th fills the chunk: it starts writing
    await writer.settle();
    expect(await client.db(database).collection('TST01__in_flight').countDocuments(landingRunFilter(run))).toBe(8);
    expect(await store.removeRun(run)).toBe(8);
    expect(await readAll(run, 'in_flight')).toEqual([]);
  });

  it('fails the next append or flush when a chunk could not be written, and settle does not throw', async () => {
    const gone = await connectTestMongo();
    const goneStore = createLandingStore(gone.db(database), { chunkRecords: 2 });
    const first = goneStore.openWriter(newRun());
    for (const n of [0, 1]) await first.append('unwritten', { n });
    await first.flush();
    const writer = goneStore.openWriter(newRun());
    await writer.append('unwritten', { n: 0 });
    await gone.close(); // the database is gone before the chunk is sent
    await writer.append('unwritten', { n: 1 }); // fills the chunk: its write starts, and fails meanwhile
    await expect(writer.flush()).rejects.toThrow(MongoNotConnectedError);
    await expect(writer.settle()).resolves.toBeUndefined();
  });

  it('refuses a landing entity name that is not an identifier', async () => {
    const writer = store.openWriter(newRun());
    await expect(writer.append('Customers.json', {})).rejects.toThrow(DataRejectedError);
  });

  it('lists the landing entities of a system', async () => {
    const run = newRun('TST02');
    await land(run, 'zeta', [{}]);
    await land(run, 'alpha', [{}]);
    expect(await store.listLandingEntities('TST02')).toEqual(['alpha', 'zeta']);
  });

  test.prop([fc.array(fc.oneof(nastyJson, anyJson), { minLength: 1, maxLength: 20 })], { numRuns: 100 })(
    'any JSON values read back equal from FerretDB, in order',
    async (records) => {
      const run = newRun('PRP01');
      await land(run, 'values', records);
      const read = await readAll(run, 'values');
      expect(read.map((record) => record.record)).toEqual(records);
      expect(read.map((record) => writeJsonText(record.record))).toEqual(records.map((record) => writeJsonText(record)));
    },
    // 100 landings and reads through FerretDB (~1 ms a document): 27–38 s seen on a busy machine, past vitest's
    // default 30 s.
    180_000,
  );
});
