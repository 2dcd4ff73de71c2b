import type pg from 'pg';
import { wrapPgError } from './errors.ts';

/**
 * An open transaction on one pooled connection. Functions that accept a `Db` run inside it when given one, so a
 * caller writes its data, its audit rows and its outbox messages in one commit. `client` is there for what needs
 * the raw connection (COPY).
 */
export interface Transaction {
  readonly kind: 'transaction';
  readonly client: pg.PoolClient;
}

/** Where a statement runs: the pool (each call opens its own transaction where it needs one) or a transaction. */
export type Db = pg.Pool | Transaction;

/** Whether `db` is an open transaction rather than the pool. */
export function isTransaction(db: Db): db is Transaction {
  return 'kind' in db && db.kind === 'transaction';
}

/**
 * Runs one statement (values always as parameters) and wraps a driver error with `action`, so the caller sees
 * `PostgreSQL refused start entity run: …` or a retryable `UpstreamUnavailableError`.
 */
export async function query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Db,
  action: string,
  text: string,
  values: readonly unknown[] = [],
): Promise<pg.QueryResult<Row>> {
  const runner = isTransaction(db) ? db.client : db;
  try {
    return await runner.query<Row>(text, [...values]);
  } catch (error) {
    throw wrapPgError(error, action);
  }
}

/**
 * Runs `work` in a transaction on one connection: commit when it resolves, roll back when it throws (and
 * rethrow). A connection whose rollback fails is destroyed instead of returned to the pool.
 *
 * @example await withTransaction(pool, async (tx) => { await writeRows(tx, rows); await finishEntityRun(tx, …); });
 */
export async function withTransaction<T>(pool: pg.Pool, work: (tx: Transaction) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw wrapPgError(error, 'connect');
  }
  // pg-pool removes its own `error` listener at checkout, so a connection reset mid-transaction (the server ended
  // the backend, the network dropped) would be an uncaught exception that ends the process. The same failure
  // reaches the caller through the running or the next statement, so the event itself is only absorbed here.
  const absorb = (): void => undefined;
  client.on('error', absorb);
  const release = (destroy?: Error | boolean): void => {
    client.off('error', absorb);
    client.release(destroy);
  };
  const tx: Transaction = { kind: 'transaction', client };
  try {
    await query(tx, 'begin transaction', 'begin');
    const result = await work(tx);
    await query(tx, 'commit transaction', 'commit');
    release();
    return result;
  } catch (error) {
    try {
      await client.query('rollback');
      release();
    } catch (rollbackError) {
      release(rollbackError instanceof Error ? rollbackError : true);
    }
    throw error;
  }
}

/** Runs `work` inside the caller's transaction when `db` is one, else in a new transaction of its own. */
export async function inTransaction<T>(db: Db, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return isTransaction(db) ? work(db) : withTransaction(db, work);
}
