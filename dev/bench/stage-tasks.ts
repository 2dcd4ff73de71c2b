/**
 * The measured stages, each through the platform's own use case, in-process: landing (`landSystem` with the
 * bench connector), bronze (`processEntityBatch` per entity, its MongoDB reads timed apart), and silver
 * (`processSilverBatch` per entity). Time counts the use case calls only; connecting does not.
 */
import type pg from 'pg';
import type { MongoClient } from 'mongodb';
import { createLandingStore, type LandingStore } from '../../shared/adapters/mongo/landing-store.ts';
import { connectMongo } from '../../shared/adapters/mongo/mongo-client.ts';
import { createPool } from '../../shared/adapters/postgres/pool.ts';
import { processEntityBatch } from '../../shared/layers/bronze/process-entity-batch.ts';
import { landSystem } from '../../shared/layers/landing/land-system.ts';
import { processSilverBatch } from '../../shared/layers/silver/process-silver-batch.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import type { Outcome } from '../../shared/runtime/outcome.ts';
import { staticMetadataLoader } from '../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../shared/secrets/env-secret-store.ts';
import { createBenchConnector } from './bench-connector.ts';
import { batchRecords } from './bench-records.ts';
import { BENCH_ENTITIES, BENCH_LANDING_ENTITY, BENCH_SYSTEM, benchMetadata } from './bench-metadata.ts';
import type { BenchTask, TaskWork } from './bench-task.ts';

/** Long enough that no run of the bench is ever taken for stale; the bench measures the work, not the timeouts. */
const TIMEOUT_SECONDS = 86_400;

/** The connections a task uses, opened before its clock starts. */
export interface TaskConnections {
  readonly pool: pg.Pool;
  readonly mongo: MongoClient;
  readonly log: Logger;
}

/** Opens the run's databases for one task. */
export async function openConnections(task: BenchTask): Promise<TaskConnections> {
  const pool = createPool({ connectionString: task.database_url, applicationName: `dataplatform-bench-${task.kind}`, max: 4 });
  await pool.query('select 1');
  const mongo = await connectMongo(task.mongodb_url);
  return { pool, mongo, log: createLogger({ bench: task.kind }) };
}

/** Closes what `openConnections` opened. */
export async function closeConnections(connections: TaskConnections): Promise<void> {
  await connections.pool.end();
  await connections.mongo.close();
}

function seconds(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

function requireSucceeded(outcome: Outcome, what: string): Record<string, number> {
  if (outcome.status !== 'succeeded') {
    const reason = outcome.status === 'failed' ? outcome.error.message : outcome.reason;
    throw new Error(`${what} did not succeed (${outcome.status}): ${reason}`);
  }
  return (outcome.counts ?? {}) as Record<string, number>;
}

/** Lands one generated batch through the landing use case. */
export async function runLanding(task: Extract<BenchTask, { kind: 'landing' }>, connections: TaskConnections): Promise<TaskWork> {
  const metadata = benchMetadata();
  const started = performance.now();
  const outcome = await landSystem(
    { system_id: BENCH_SYSTEM, batch_id: task.batch_id, batch_timestamp: task.batch_timestamp, force: false, options: { batch: task.batch, rows: task.rows } },
    {
      pool: connections.pool,
      landing: createLandingStore(connections.mongo.db(task.landing_database)),
      metadata: staticMetadataLoader(metadata, createEnvSecretStore({})),
      connectors: { jsonfile: createBenchConnector() },
      log: connections.log,
      callId: `bench-landing-${task.batch}`,
      timeoutSeconds: TIMEOUT_SECONDS,
      now: () => new Date(),
    },
  );
  const counts = requireSucceeded(outcome, `landing of batch ${task.batch}`);
  return { rows: counts[BENCH_LANDING_ENTITY] ?? 0, seconds: seconds(started), details: { counts } };
}

/**
 * The landing store bronze reads, with a stopwatch on the reads: the time spent waiting for the next landed
 * record (MongoDB round trips and decoding) is added to `readMs`, so MongoDB's share of bronze is measured inside
 * the very run it belongs to, without a second read.
 */
export function timedLandingReader(store: Pick<LandingStore, 'readRun'>): { readonly reader: Pick<LandingStore, 'readRun'>; readMs(): number } {
  let spent = 0;
  return {
    reader: {
      readRun(ref) {
        const source = store.readRun(ref);
        return {
          [Symbol.asyncIterator]() {
            const iterator = source[Symbol.asyncIterator]();
            return {
              async next() {
                const started = performance.now();
                try {
                  return await iterator.next();
                } finally {
                  spent += performance.now() - started;
                }
              },
              return: async () => (iterator.return ? iterator.return() : { done: true as const, value: undefined }),
            };
          },
        };
      },
    },
    readMs: () => spent,
  };
}

/**
 * A landing reader that hands bronze the batch's generated records, numbered as the landing store numbers them,
 * without MongoDB: what bronze costs on its own, and the way to measure large N without FerretDB.
 */
export function generatedLandingReader(rows: number, batch: 1 | 2): Pick<LandingStore, 'readRun'> {
  return {
    async *readRun(ref) {
      let position = 0;
      for (const record of batchRecords(rows, batch)) {
        yield { record_id: `${ref.run_id}:${position}`, position, record };
        position += 1;
      }
    },
  };
}

/**
 * Runs bronze for each bench entity of the batch, one after the other, as two `bronze` calls would (each reads
 * the landed batch: customers and their orders come from the same records).
 */
export async function runBronze(task: Extract<BenchTask, { kind: 'bronze' }>, connections: TaskConnections): Promise<TaskWork> {
  const metadata = benchMetadata();
  const details: Record<string, { rows: number; seconds: number; read_seconds: number }> = {};
  let rows = 0;
  let readSeconds = 0;
  const started = performance.now();
  for (const entity_id of BENCH_ENTITIES) {
    const entityStarted = performance.now();
    const source = task.source === 'generated' ? generatedLandingReader(task.rows, task.batch) : createLandingStore(connections.mongo.db(task.landing_database));
    const landing = timedLandingReader(source);
    const outcome = await processEntityBatch(
      { batch_id: task.batch_id, system_id: BENCH_SYSTEM, entity_id, force: false },
      { pool: connections.pool, landing: landing.reader, metadata, log: connections.log, callId: `bench-bronze-${entity_id}`, timeoutSeconds: TIMEOUT_SECONDS },
    );
    const counts = requireSucceeded(outcome, `bronze of ${entity_id}`);
    const written = counts.records_inserted ?? 0;
    rows += written;
    readSeconds += landing.readMs() / 1000;
    details[entity_id] = { rows: written, seconds: seconds(entityStarted), read_seconds: landing.readMs() / 1000 };
  }
  return { rows, seconds: seconds(started), details: { ...details, read_seconds: readSeconds } };
}

/** Applies the batch to silver for each bench entity through the silver use case. */
export async function runSilver(task: Extract<BenchTask, { kind: 'silver' }>, connections: TaskConnections): Promise<TaskWork> {
  const metadata = benchMetadata();
  const details: Record<string, Record<string, number>> = {};
  let rows = 0;
  const started = performance.now();
  for (const entity_id of BENCH_ENTITIES) {
    const entityStarted = performance.now();
    const outcome = await processSilverBatch(
      { batch_id: task.batch_id, system_id: BENCH_SYSTEM, entity_id, force: task.force ?? false, rebuild: false },
      { pool: connections.pool, metadata, log: connections.log, callId: `bench-silver-${entity_id}`, timeoutSeconds: TIMEOUT_SECONDS },
    );
    const counts = requireSucceeded(outcome, `silver of ${entity_id}`);
    rows += counts.records_in ?? 0;
    details[entity_id] = { ...counts, seconds: seconds(entityStarted) };
  }
  return { rows, seconds: seconds(started), details };
}
