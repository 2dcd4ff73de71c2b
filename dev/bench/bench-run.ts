/**
 * What one benchmark run owns: a PostgreSQL database and a landing database of its own (made at the start,
 * dropped at the end), a scratch folder, and the batches it lands.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connectMongo } from '../../shared/adapters/mongo/mongo-client.ts';
import { runMigrations } from '../../shared/adapters/postgres/migrate.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { ident } from '../../shared/adapters/postgres/sql.ts';
import { loadEnv } from '../../shared/config.ts';
import { newBatchId } from '../../shared/runs/ids.ts';
import { finishSystemRun, startSystemRun } from '../../shared/runs/system-runs.ts';
import { BENCH_SYSTEM } from './bench-metadata.ts';

/** One of the run's two batches. */
export interface RunBatch {
  readonly batch: 1 | 2;
  readonly batch_id: string;
  readonly batch_timestamp: string;
}

/** The run's resources. */
export interface BenchRun {
  readonly databaseName: string;
  readonly database_url: string;
  readonly mongodb_url: string;
  readonly landing_database: string;
  readonly scratchDir: string;
  readonly pool: pg.Pool;
  readonly postgresVersion: string;
  readonly batches: readonly [RunBatch, RunBatch];
  /** Drops the databases and the scratch folder; safe to call twice. */
  drop(): Promise<void>;
  /** Closes the connections only, keeping the databases (`--keep`). */
  close(): Promise<void>;
}

async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates `dp_bench_<random>` (migrated: the audit schema the use cases write) and names `landing_bench_<random>`
 * on the local services (`npm run services -- up`); fails with a hint when they are not running.
 */
export async function createBenchRun(): Promise<BenchRun> {
  const env = loadEnv();
  const suffix = randomBytes(5).toString('hex');
  const databaseName = `dp_bench_${suffix}`;
  const landing_database = `landing_bench_${suffix}`;
  let postgresVersion: string;
  try {
    postgresVersion = await onServer(env.DATABASE_URL, async (client) => {
      await client.query(`create database ${ident(databaseName)}`);
      return (await client.query<{ version: string }>('select version()')).rows[0]?.version ?? 'unknown';
    });
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable or refused the bench database (run "npm run services -- up"): ${(error as Error).message}`, { cause: error });
  }
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${databaseName}`;
  const pool = createPool({ connectionString: url.toString(), applicationName: 'dataplatform-bench', max: 2 });
  const scratchDir = await mkdtemp(join(tmpdir(), 'dp-bench-'));
  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    dropped = true;
    await pool.end().catch(() => undefined);
    await onServer(env.DATABASE_URL, (client) => client.query(`drop database if exists ${ident(databaseName)} with (force)`)).catch((error: unknown) =>
      console.error(`could not drop ${databaseName}: ${(error as Error).message}`),
    );
    try {
      const mongo = await connectMongo(env.MONGODB_URL);
      await mongo.db(landing_database).dropDatabase();
      await mongo.close();
    } catch (error) {
      console.error(`could not drop landing database ${landing_database}: ${(error as Error).message}`);
    }
    await rm(scratchDir, { recursive: true, force: true });
  };
  try {
    await runMigrations(pool);
    // Fail early, before any stage, when FerretDB is not there.
    const mongo = await connectMongo(env.MONGODB_URL);
    await mongo.close();
  } catch (error) {
    await drop();
    throw error;
  }
  const first = new Date();
  const batches: [RunBatch, RunBatch] = [
    { batch: 1, batch_id: newBatchId(), batch_timestamp: first.toISOString() },
    // A minute later: batch 2 is newer than batch 1, so silver applies it on top.
    { batch: 2, batch_id: newBatchId(), batch_timestamp: new Date(first.getTime() + 60_000).toISOString() },
  ];
  return {
    databaseName,
    database_url: url.toString(),
    mongodb_url: env.MONGODB_URL,
    landing_database,
    scratchDir,
    pool,
    postgresVersion,
    batches,
    drop,
    close: () => pool.end(),
  };
}

/**
 * `--source generated`: records a succeeded landing run of the batch in the audit schema without landing any
 * record, so bronze (which only reads a succeeded landing) runs on the generated records instead.
 */
export async function recordGeneratedLanding(run: BenchRun, batch: RunBatch): Promise<void> {
  const start = await startSystemRun(run.pool, {
    batch_id: batch.batch_id,
    batch_timestamp: new Date(batch.batch_timestamp),
    system_id: BENCH_SYSTEM,
    call_id: `bench-generated-${batch.batch}`,
    timeout_seconds: 86_400,
    force: false,
  });
  if (!start.proceed) throw new Error(`the generated landing of batch ${batch.batch} did not start (${start.reason})`);
  await finishSystemRun(run.pool, start.run.run_id, { status: 'succeeded' });
}
