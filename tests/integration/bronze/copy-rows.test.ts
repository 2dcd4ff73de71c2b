import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRows, type CopyColumn } from '../../../shared/adapters/postgres/copy-rows.ts';
import { PostgresError } from '../../../shared/adapters/postgres/errors.ts';
import { withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import type { CopyValue } from '../../../shared/core/copy-text.ts';
import { DataRejectedError } from '../../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';

const COLUMNS: CopyColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'label', type: 'text' },
  { name: 'amount', type: 'numeric' },
  { name: 'ratio', type: 'double' },
  { name: 'big', type: 'bigint' },
  { name: 'flag', type: 'boolean' },
  { name: 'seen_at', type: 'timestamptz' },
  { name: 'day', type: 'date' },
  { name: 'doc', type: 'jsonb' },
  { name: 'batch', type: 'uuid' },
];
const TABLE = { schema: 'public', table: 'copy_target' };
const BATCH = '0192a6c0-0000-7000-8000-000000000001';

describe('copyRows', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.pool.query(`
      create table public.copy_target (
        id integer, label text, amount numeric, ratio double precision, big bigint, flag boolean,
        seen_at timestamptz, day date, doc jsonb, batch uuid
      )`);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function readBack(ids: number[]): Promise<Record<string, unknown>[]> {
    const result = await db.pool.query(
      `select id, label, amount::text, ratio::text, big::text, flag,
              to_char(seen_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as seen_at, day::text, doc, batch::text
         from public.copy_target where id = any($1) order by id`,
      [ids],
    );
    return result.rows;
  }

  it('writes nasty values exactly: escapes, null vs "\\N", exact numerics, microseconds, jsonb, booleans', async () => {
    const nasty = 'tab\there\nnewline\r\ncrlf back\\slash \\N \\. "quotes" \'single\' é 😀 \u0007bell';
    const rows: CopyValue[][] = [
      [1, nasty, '-12.500000000000000000001', 0.1, '9223372036854775807', true, '2026-03-02T09:14:27.118204+01:00', '2026-03-02', { 'a.b': 'x\ty\n', $k: ['\\', null, 1.5], nested: { deep: [[1], 'z'] } }, BATCH],
      [2, '\\N', '0', -0, -9007199254740991, false, new Date(Date.UTC(2026, 0, 1)), '0001-01-01', 'just a string', BATCH],
      [3, null, null, Number.NaN, null, null, null, null, null, null],
      [4, '', '1e+21', Number.POSITIVE_INFINITY, 0n, null, '1970-01-01T00:00:00+00:00', null, [], BATCH],
      [5, ' leading and trailing ', '-0.000001', 1e-300, 1, true, '9999-12-31T23:59:59.999999+00:00', '9999-12-31', { emoji: '😀', quote: '"' }, BATCH],
    ];
    const written = await withTransaction(db.pool, (tx) => copyRows(tx, TABLE, COLUMNS, rows));
    expect(written).toBe(5);
    expect(await readBack([1, 2, 3, 4, 5])).toEqual([
      {
        id: 1, label: nasty, amount: '-12.500000000000000000001', ratio: '0.1', big: '9223372036854775807', flag: true,
        seen_at: '2026-03-02T08:14:27.118204', day: '2026-03-02', doc: { 'a.b': 'x\ty\n', $k: ['\\', null, 1.5], nested: { deep: [[1], 'z'] } }, batch: BATCH,
      },
      { id: 2, label: '\\N', amount: '0', ratio: '-0', big: '-9007199254740991', flag: false, seen_at: '2026-01-01T00:00:00.000000', day: '0001-01-01', doc: 'just a string', batch: BATCH },
      { id: 3, label: null, amount: null, ratio: 'NaN', big: null, flag: null, seen_at: null, day: null, doc: null, batch: null },
      { id: 4, label: '', amount: '1000000000000000000000', ratio: 'Infinity', big: '0', flag: null, seen_at: '1970-01-01T00:00:00.000000', day: null, doc: [], batch: BATCH },
      { id: 5, label: ' leading and trailing ', amount: '-0.000001', ratio: '1e-300', big: '1', flag: true, seen_at: '9999-12-31T23:59:59.999999', day: '9999-12-31', doc: { emoji: '😀', quote: '"' }, batch: BATCH },
    ]);
  });

  it('reads rows lazily from an async source and reports the count', async () => {
    async function* source(): AsyncGenerator<CopyValue[]> {
      for (let id = 100; id < 2100; id += 1) {
        if (id % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        yield [id, `row ${id}`, String(id), id / 3, id, id % 2 === 0, null, null, { id }, null];
      }
    }
    const written = await withTransaction(db.pool, (tx) => copyRows(tx, TABLE, COLUMNS, source(), { chunkBytes: 1024 }));
    expect(written).toBe(2000);
    const counted = await db.pool.query<{ count: number; sum: string }>(
      `select count(*)::int as count, sum((doc->>'id')::int)::text as sum from public.copy_target where id between 100 and 2099`,
    );
    expect(counted.rows[0]).toEqual({ count: 2000, sum: String((2000 * (100 + 2099)) / 2) });
  });

  it('aborts COPY when the source throws, rethrows that error, and leaves nothing after the rollback', async () => {
    const rejected = new DataRejectedError('checks failed');
    function* source(): Generator<CopyValue[]> {
      for (let id = 3000; id < 3100; id += 1) yield [id, 'before failure', null, null, null, null, null, null, null, null];
      throw rejected;
    }
    await expect(withTransaction(db.pool, (tx) => copyRows(tx, TABLE, COLUMNS, source(), { chunkBytes: 256 }))).rejects.toBe(rejected);
    expect(await readBack([3000, 3050])).toEqual([]);
    // the pool's connections are still healthy afterwards
    const again = await withTransaction(db.pool, (tx) => copyRows(tx, TABLE, COLUMNS, [[3200, 'after', null, null, null, null, null, null, null, null]]));
    expect(again).toBe(1);
  });

  it('turns a value the server refuses into a PostgresError naming the table', async () => {
    const rows: CopyValue[][] = [[4000, 'ok', 'not a number', null, null, null, null, null, null, null]];
    const failure = await withTransaction(db.pool, (tx) => copyRows(tx, TABLE, COLUMNS, rows)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PostgresError);
    expect((failure as PostgresError).sqlstate).toBe('22P02');
    expect((failure as Error).message).toMatch(/^PostgreSQL refused copy rows into public\.copy_target: invalid input syntax for type numeric/);
    expect(await readBack([4000])).toEqual([]);
  });

  it('refuses a row with the wrong number of values before sending it', async () => {
    await expect(withTransaction(db.pool, (tx) => copyRows(tx, TABLE, COLUMNS, [[5000, 'short row']]))).rejects.toThrow(
      new TypeError('a COPY row has 2 values for 10 columns'),
    );
  });

  it('keeps memory flat: 100 MB of rows stream through without being held', async () => {
    await db.pool.query('create table public.copy_wide (id integer, payload text)');
    const payload = 'x'.repeat(1000);
    const rowCount = 100_000;
    let pulled = 0;
    let peakHeap = 0;
    function* source(): Generator<CopyValue[]> {
      for (let id = 0; id < rowCount; id += 1) {
        pulled += 1;
        if (id % 10_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        // a fresh string per row, as a real source makes, so holding rows would show in the heap
        yield [id, `${id}:${payload}`];
      }
    }
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const written = await withTransaction(db.pool, (tx) => copyRows(tx, { schema: 'public', table: 'copy_wide' }, [
      { name: 'id', type: 'integer' },
      { name: 'payload', type: 'text' },
    ], source()));
    expect(written).toBe(rowCount);
    expect(pulled).toBe(rowCount);
    // 100 MB went through; a few chunks of 64 KiB (and the garbage not yet collected) may be in the heap at once
    expect(peakHeap - before).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
