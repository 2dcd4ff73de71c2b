import pg from 'pg';
import type { Logger } from '../../log.ts';

/** How a function connects: the URL (from `DATABASE_URL`), a name PostgreSQL shows in `pg_stat_activity`, a size. */
export interface PoolOptions {
  readonly connectionString: string;
  /** Shown as `application_name`, so a person can tell which function holds a connection or a lock. */
  readonly applicationName?: string;
  /** Connections at most; a function handles one call at a time, so a few are enough. */
  readonly max?: number;
  /** Where errors of idle connections are reported. */
  readonly log?: Logger;
}

/**
 * Creates the connection pool a function keeps for its lifetime. An idle connection that breaks (server
 * restart) would otherwise crash the process through an unhandled `error` event; here it is logged and dropped.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName ?? 'dataplatform',
    max: options.max ?? 4,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => {
    options.log?.warn({ err }, 'idle PostgreSQL connection failed');
  });
  return pool;
}

export type Pool = pg.Pool;
