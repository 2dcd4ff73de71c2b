/**
 * Measures the ways bronze could write a batch, on the local PostgreSQL, for docs/bronze.md ("Load path"):
 * COPY (text, streamed), COPY into a temp table then `insert … select`, multi-row `insert … values`, and
 * `insert … select from unnest($1::text[], …)`. Each writes the same rows (the shape of a bronze row: model columns
 * and the `_dp_` system columns) into a fresh table in one transaction.
 *
 *   npx tsx tests/integration/bronze/measure-load-paths.ts [rows=100000] [repeats=3]
 */
import type pg from 'pg';
import { copyRows, type CopyColumn } from '../../../shared/adapters/postgres/copy-rows.ts';
import { ident, qualified } from '../../../shared/adapters/postgres/sql.ts';
import { withTransaction, type Transaction } from '../../../shared/adapters/postgres/transaction.ts';
import { createCopyRowEncoder, type CopyValue } from '../../../shared/core/copy-text.ts';
import { createTestDatabase } from '../postgres/test-database.ts';

const COLUMNS: CopyColumn[] = [
  { name: 'id', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'email', type: 'text' },
  { name: 'tier', type: 'text' },
  { name: 'score', type: 'numeric' },
  { name: 'visits', type: 'integer' },
  { name: 'active', type: 'boolean' },
  { name: 'updated_at', type: 'timestamptz' },
  { name: 'attributes', type: 'jsonb' },
  { name: '_dp_batch_id', type: 'uuid' },
  { name: '_dp_batch_timestamp', type: 'timestamptz' },
  { name: '_dp_call_id', type: 'text' },
  { name: '_dp_run_id', type: 'bigint' },
  { name: '_dp_record_id', type: 'text' },
  { name: '_dp_position', type: 'integer' },
];
const SQL_TYPES: Record<string, string> = { text: 'text', numeric: 'numeric', integer: 'integer', boolean: 'boolean', timestamptz: 'timestamptz', jsonb: 'jsonb', uuid: 'uuid', bigint: 'bigint' };
const BATCH_ID = '0192a6c0-0000-7000-8000-000000000001';

function* makeRows(count: number): Generator<CopyValue[]> {
  for (let i = 0; i < count; i += 1) {
    yield [
      `cust-${i}`, `Customer ${i}\twith a tab`, `c${i}@example.org`, ['bronze', 'silver', 'gold'][i % 3] ?? null,
      `${i}.${String(i % 100).padStart(2, '0')}`, i % 1000, i % 2 === 0, '2026-03-02T09:14:27.118204+01:00',
      { color: 'blue', size: i % 7, tags: ['a', 'b'] }, BATCH_ID, '2026-03-02T08:00:00+00:00', 'call-1', 1, `rec-${i}`, i,
    ];
  }
}

async function createTarget(pool: pg.Pool, table: string): Promise<void> {
  await pool.query(`drop table if exists ${qualified('public', table)}`);
  await pool.query(`create table ${qualified('public', table)} (${COLUMNS.map((c) => `${ident(c.name)} ${SQL_TYPES[c.type]}`).join(', ')})`);
}

const names = COLUMNS.map((c) => ident(c.name)).join(', ');
// pg sends parameters as text; jsonb as its JSON text, like COPY.
const param = (value: CopyValue, type: string): unknown => (type === 'jsonb' && value !== null ? JSON.stringify(value) : value);

const paths: Record<string, (tx: Transaction, table: string, count: number) => Promise<void>> = {
  async copy(tx, table, count) {
    await copyRows(tx, { schema: 'public', table }, COLUMNS, makeRows(count));
  },
  async 'copy to temp, insert select'(tx, table, count) {
    await tx.client.query(`create temp table stage (like ${qualified('public', table)}) on commit drop`);
    await copyRows(tx, { schema: 'pg_temp', table: 'stage' }, COLUMNS, makeRows(count));
    await tx.client.query(`insert into ${qualified('public', table)} (${names}) select ${names} from pg_temp.stage`);
  },
  async 'insert values (1000 rows per statement)'(tx, table, count) {
    const perStatement = 1000;
    let batch: CopyValue[][] = [];
    const flush = async (): Promise<void> => {
      const values: unknown[] = [];
      const tuples = batch.map((row) => `(${row.map((value, i) => {
        values.push(param(value, COLUMNS[i]!.type));
        return `$${values.length}`;
      }).join(', ')})`);
      await tx.client.query(`insert into ${qualified('public', table)} (${names}) values ${tuples.join(', ')}`, values);
      batch = [];
    };
    for (const row of makeRows(count)) {
      batch.push(row);
      if (batch.length === perStatement) await flush();
    }
    if (batch.length > 0) await flush();
  },
  async 'insert select unnest (10000 rows per statement)'(tx, table, count) {
    const perStatement = 10_000;
    let columns: unknown[][] = COLUMNS.map(() => []);
    let rows = 0;
    const flush = async (): Promise<void> => {
      const casts = COLUMNS.map((c, i) => `$${i + 1}::${c.type === 'jsonb' ? 'text' : SQL_TYPES[c.type]}[]`);
      const select = COLUMNS.map((c, i) => (c.type === 'jsonb' ? `c${i}::jsonb` : `c${i}`)).join(', ');
      const aliases = COLUMNS.map((_c, i) => `c${i}`).join(', ');
      await tx.client.query(
        `insert into ${qualified('public', table)} (${names}) select ${select} from unnest(${casts.join(', ')}) as incoming (${aliases})`,
        columns,
      );
      columns = COLUMNS.map(() => []);
      rows = 0;
    };
    for (const row of makeRows(count)) {
      row.forEach((value, i) => columns[i]!.push(param(value, COLUMNS[i]!.type)));
      rows += 1;
      if (rows === perStatement) await flush();
    }
    if (rows > 0) await flush();
  },
};

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100_000);
  const repeats = Number(process.argv[3] ?? 3);
  const encode = createCopyRowEncoder(COLUMNS.map((c) => (c.type === 'jsonb' ? 'json' : 'plain')));
  let bytes = 0;
  for (const row of makeRows(count)) bytes += Buffer.byteLength(encode(row));
  console.log(`${count} rows, ${COLUMNS.length} columns, ${(bytes / 1024 / 1024).toFixed(1)} MiB of COPY text; best and median of ${repeats}`);
  const db = await createTestDatabase({ migrate: false });
  try {
    for (const [name, load] of Object.entries(paths)) {
      const times: number[] = [];
      for (let repeat = 0; repeat < repeats; repeat += 1) {
        await createTarget(db.pool, 'target');
        const started = process.hrtime.bigint();
        await withTransaction(db.pool, (tx) => load(tx, 'target', count));
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        const written = await db.pool.query<{ count: number }>('select count(*)::int as count from public.target');
        if (written.rows[0]?.count !== count) throw new Error(`${name} wrote ${written.rows[0]?.count} rows`);
      }
      times.sort((a, b) => a - b);
      const best = times[0]!;
      const median = times[Math.floor(times.length / 2)]!;
      console.log(`${name.padEnd(48)} best ${best.toFixed(0).padStart(6)} ms  median ${median.toFixed(0).padStart(6)} ms  (${Math.round(count / (median / 1000))} rows/s)`);
    }
  } finally {
    await db.drop();
  }
}

await main();
