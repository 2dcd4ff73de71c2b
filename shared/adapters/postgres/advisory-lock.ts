import type pg from 'pg';
import { wrapPgError } from './errors.ts';
import { query, type Transaction } from './transaction.ts';

/**
 * Every advisory lock of the platform is taken here, on a readable key (`dataplatform:<what>:<which>`) hashed into
 * the lock's bigint the one same way, so a transaction lock and a session lock on the same key are the same lock.
 */
const LOCK_ID = 'hashtextextended($1, 0)';

/**
 * Takes the advisory lock on `key` for the rest of `tx` (`pg_advisory_xact_lock`): a second transaction asking
 * for the same key waits until this one commits or rolls back, and then sees its result. `action` names the
 * statement in a driver error, as `query`'s does.
 *
 * @example await lockForTransaction(tx, 'lock cursor', `dataplatform:cursor:${system_id}:${entity_id}`);
 */
export async function lockForTransaction(tx: Transaction, action: string, key: string): Promise<void> {
  await query(tx, action, `select pg_advisory_xact_lock(${LOCK_ID})`, [key]);
}

/** What `withSessionLock` did: the work's value, or nothing because another session holds the lock. */
export type SessionLockOutcome<T> = { readonly acquired: true; readonly value: T } | { readonly acquired: false };

/**
 * Runs `work` while this process holds a session-level advisory lock (`pg_try_advisory_lock` on the hashed `key`),
 * on a connection of its own kept for the duration; answers `{acquired: false}` at once when another session holds
 * it. Unlike a transaction lock it spans the several transactions `work` commits, and PostgreSQL drops it with the
 * connection if the process dies. The connection is
 * released (destroyed if the unlock fails) whatever `work` does.
 *
 * @example
 * const landing = await withSessionLock(pool, `dataplatform:landing:${system_id}`, () => land(…));
 * if (!landing.acquired) return skipped('another landing of the system is running');
 */
export async function withSessionLock<T>(pool: pg.Pool, key: string, work: () => Promise<T>): Promise<SessionLockOutcome<T>> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw wrapPgError(error, 'connect');
  }
  // As in withTransaction: a connection reset while it is checked out must not end the process; a query reports it.
  const absorb = (): void => undefined;
  client.on('error', absorb);
  const release = (destroy?: Error | boolean): void => {
    client.off('error', absorb);
    client.release(destroy);
  };
  let acquired: boolean;
  try {
    const locked = await client.query<{ acquired: boolean }>(`select pg_try_advisory_lock(${LOCK_ID}) as acquired`, [key]);
    acquired = locked.rows[0]?.acquired === true;
  } catch (error) {
    release(error instanceof Error ? error : true);
    throw wrapPgError(error, `take lock ${key}`);
  }
  if (!acquired) {
    release();
    return { acquired: false };
  }
  try {
    return { acquired: true, value: await work() };
  } finally {
    try {
      await client.query(`select pg_advisory_unlock(${LOCK_ID})`, [key]);
      release();
    } catch (error) {
      // The lock stays with this connection until it ends: end it rather than pool it.
      release(error instanceof Error ? error : true);
    }
  }
}
