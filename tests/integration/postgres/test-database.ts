import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { loadEnv } from '../../../shared/config.ts';
import { createPool } from '../../../shared/adapters/postgres/pool.ts';
import { runMigrations } from '../../../shared/adapters/postgres/migrate.ts';
import { ident } from '../../../shared/adapters/postgres/sql.ts';

/** A throw-away database for one test file: its URL, a pool on it, and `drop()` for `afterAll`. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: pg.Pool;
  /** Opens another pool on the same database (a second process, for concurrency tests); closed by `drop()`. */
  newPool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: loadEnv().DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates `dp_test_<random>` on the local PostgreSQL (the `dataplatform` role may create databases), so each
 * test file has its own audit schema and production code keeps its fixed schema names.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `dp_test_${randomBytes(6).toString('hex')}`;
  await onServer((client) => client.query(`create database ${ident(name)}`));
  const url = new URL(loadEnv().DATABASE_URL);
  url.pathname = `/${name}`;
  const pools: pg.Pool[] = [];
  const newPool = (max = 4): pg.Pool => {
    const pool = createPool({ connectionString: url.toString(), applicationName: 'dataplatform-test', max });
    pools.push(pool);
    return pool;
  };
  const pool = newPool(8);
  if (options.migrate ?? true) await runMigrations(pool);
  return {
    name,
    url: url.toString(),
    pool,
    newPool,
    async drop() {
      await Promise.all(pools.map((each) => each.end()));
      await onServer((client) => client.query(`drop database if exists ${ident(name)} with (force)`));
    },
  };
}

/**
 * The test database of the calling file or describe: made before its tests, dropped after. Its members read through
 * to the database once made, so the tests and helpers of the file use it as they would `createTestDatabase()`'s.
 */
export function useTestDatabase(options: { migrate?: boolean } = {}): TestDatabase {
  let made: TestDatabase | undefined;
  const current = (): TestDatabase => {
    if (made === undefined) throw new Error('the test database is made in beforeAll: use it inside a test or hook');
    return made;
  };
  beforeAll(async () => {
    made = await createTestDatabase(options);
  });
  afterAll(async () => {
    await made?.drop();
  });
  return {
    get name() {
      return current().name;
    },
    get url() {
      return current().url;
    },
    get pool() {
      return current().pool;
    },
    newPool: (max) => current().newPool(max),
    drop: () => current().drop(),
  };
}
