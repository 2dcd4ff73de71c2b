import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../shared/adapters/postgres/pool.ts';
import { PostgresError, SQLSTATE, hasSqlState } from '../../../shared/adapters/postgres/errors.ts';
import { inTransaction, query, withTransaction } from '../../../shared/adapters/postgres/transaction.ts';
import { UpstreamUnavailableError } from '../../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

describe('transactions and driver errors', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.pool.query('create table public.item (id int primary key, name text not null)');
  });
  afterAll(async () => {
    await db.drop();
  });

  const names = async (): Promise<string[]> =>
    (await db.pool.query<{ name: string }>('select name from public.item order by id')).rows.map((row) => row.name);

  it('commits what the work wrote when it resolves', async () => {
    await withTransaction(db.pool, (tx) => query(tx, 'insert item', 'insert into public.item values (1, $1)', ['kept']));
    expect(await names()).toEqual(['kept']);
  });

  it('rolls everything back and rethrows when the work throws', async () => {
    const failure = new Error('processor failed');
    await expect(
      withTransaction(db.pool, async (tx) => {
        await query(tx, 'insert item', 'insert into public.item values (2, $1)', ['lost']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await names()).toEqual(['kept']);
  });

  it('runs inside the caller transaction when given one', async () => {
    await expect(
      withTransaction(db.pool, async (tx) => {
        await inTransaction(tx, (inner) => query(inner, 'insert item', 'insert into public.item values (3, $1)', ['inner']));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await names()).toEqual(['kept']);
  });

  it('rejects, and the process lives on, when its connection is terminated mid-transaction', async () => {
    const failure = await withTransaction(db.pool, async (tx) => {
      const backend = await query<{ pid: number }>(tx, 'read backend pid', 'select pg_backend_pid() as pid');
      // Without an error listener on the checked-out client, the reset would be an uncaught exception (vitest fails the run).
      const ended = new Promise<void>((resolve) => tx.client.once('end', () => resolve()));
      await db.pool.query('select pg_terminate_backend($1)', [backend.rows[0]?.pid]);
      await ended;
      await query(tx, 'insert item', 'insert into public.item values (4, $1)', ['lost']);
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(await names()).toEqual(['kept']);
  });

  it('wraps a constraint violation with its SQLSTATE, constraint and what was being done', async () => {
    const error = await query(db.pool, 'insert item', 'insert into public.item values (1, $1)', ['again']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresError);
    expect(error).toMatchObject({ sqlstate: SQLSTATE.UNIQUE_VIOLATION, constraint: 'item_pkey', table: 'item', retryable: false, status: 500 });
    expect((error as Error).message).toMatchInlineSnapshot(`"PostgreSQL refused insert item: duplicate key value violates unique constraint "item_pkey""`);
    expect(hasSqlState(error, SQLSTATE.UNIQUE_VIOLATION)).toBe(true);
    expect((error as Error).cause).toBeDefined();
  });

  it('reports an unreachable server as retryable UpstreamUnavailableError', async () => {
    // port 1 on loopback: nothing listens, the connection is refused at once
    const pool = createPool({ connectionString: 'postgres://nobody:secret@127.0.0.1:1/none' });
    try {
      const error = await withTransaction(pool, async () => 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
      expect(error).toMatchObject({ retryable: true, status: 503 });
      expect((error as Error).message).not.toContain('secret');
    } finally {
      await pool.end();
    }
  });
});
