/**
 * The baselines the stages are compared with, run on the same rows in the same database: PostgreSQL's COPY of
 * the already-flattened bronze rows (the physical limit for bronze), the hand-written SCD2 statements of
 * `baseline-sql.ts` (the limit for silver), and the landing store's own `insertMany` and `find` of the landed
 * documents (the limits for landing and for bronze's read).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { landingCollectionName, landingRunFilter, type LandingDocument } from '../../shared/adapters/mongo/landing-store.ts';
import { ident, qualified } from '../../shared/adapters/postgres/sql.ts';
import { withTransaction } from '../../shared/adapters/postgres/transaction.ts';
import type { EntityModel } from '../../shared/core/entity-model.ts';
import { BRONZE_SCHEMA } from '../../shared/core/table-layout.ts';
import { findSucceededLanding } from '../../shared/runs/landing-history.ts';
import { bronzeTableSpec } from '../../shared/layers/tables/entity-tables.ts';
import {
  BASELINE_COPY_SCHEMA,
  BASELINE_SCD_SCHEMA,
  baselineCloseAbsentSql,
  baselineInsertSql,
  baselineUpdateSql,
  createBaselineSilverSql,
} from './baseline-sql.ts';
import { BENCH_ENTITIES, BENCH_LANDING_ENTITY, BENCH_SYSTEM, benchMetadata } from './bench-metadata.ts';
import type { BenchTask, TaskWork } from './bench-task.ts';
import type { TaskConnections } from './stage-tasks.ts';

function seconds(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

function modelOf(entity_id: string): EntityModel {
  const metadata = benchMetadata();
  const entity = metadata.entities.find((candidate) => candidate.id === entity_id);
  const model = entity ? metadata.models[entity.model] : undefined;
  if (!model) throw new Error(`bench entity ${entity_id} has no model`);
  return model;
}

/**
 * Exports the batch's bronze rows of each entity to a file in COPY text (not timed), then COPYs each file into an
 * empty copy of its bronze table (same columns, index and constraints) in one transaction: only that is timed.
 */
export async function runBaselineCopy(task: Extract<BenchTask, { kind: 'baseline_copy' }>, connections: TaskConnections): Promise<TaskWork> {
  const { pool } = connections;
  const details: Record<string, { rows: number; seconds: number; bytes: number }> = {};
  let rows = 0;
  let total = 0;
  await pool.query(`create schema if not exists ${ident(BASELINE_COPY_SCHEMA)}`);
  for (const entity_id of BENCH_ENTITIES) {
    const spec = bronzeTableSpec({ table: entity_id, model: modelOf(entity_id) });
    const columns = spec.columns.map((column) => ident(column.name)).join(', ');
    const file = join(task.scratch_dir, `${entity_id}.copy`);
    const client = await pool.connect();
    try {
      const exportSql = `copy (select ${columns} from ${qualified(BRONZE_SCHEMA, entity_id)} where "_dp_batch_id" = ${client.escapeLiteral(task.batch_id)}) to stdout`;
      await pipeline(client.query(copyTo(exportSql)), createWriteStream(file));
    } finally {
      client.release();
    }
    const target = qualified(BASELINE_COPY_SCHEMA, entity_id);
    await pool.query(`drop table if exists ${target}`);
    await pool.query(`create table ${target} (like ${qualified(BRONZE_SCHEMA, entity_id)} including all)`);
    const started = performance.now();
    const copied = await withTransaction(pool, async (tx) => {
      const stream = tx.client.query(copyFrom(`copy ${target} (${columns}) from stdin`));
      await pipeline(createReadStream(file, { highWaterMark: 64 * 1024 }), stream);
      return stream.rowCount;
    });
    const took = seconds(started);
    const { size } = await stat(file);
    details[entity_id] = { rows: copied, seconds: took, bytes: size };
    rows += copied;
    total += took;
  }
  return { rows, seconds: total, details };
}

/** The landing store's defaults (shared/adapters/mongo/landing-store.ts): records per insert, documents per read batch. */
const LANDING_CHUNK_RECORDS = 500;
const LANDING_READ_BATCH = 1000;

/**
 * The landing store's limits on this batch's documents: a raw `find` of them with bronze's filter
 * (`landingRunFilter` of the batch's succeeded landing run, looked up untimed) in the order bronze reads them (by
 * position, nothing decoded), timed; then `insertMany` of the same documents, read again untimed, into an empty
 * collection in chunks of landing's size, only the inserts timed. The collection is dropped afterwards.
 */
export async function runBaselineLanding(task: Extract<BenchTask, { kind: 'baseline_landing' }>, connections: TaskConnections): Promise<TaskWork> {
  const db = connections.mongo.db(task.landing_database);
  const landed = db.collection<LandingDocument>(landingCollectionName(BENCH_SYSTEM, BENCH_LANDING_ENTITY));
  const run = await findSucceededLanding(connections.pool, task.batch_id, BENCH_SYSTEM);
  if (!run) throw new Error(`baseline: batch ${task.batch_id} has no succeeded landing run to read`);
  const filter = landingRunFilter({ batch_id: task.batch_id, run_id: run.run_id });
  const readLanded = () => landed.find(filter).sort({ '_dp.position': 1 }).batchSize(LANDING_READ_BATCH);

  const readStarted = performance.now();
  let documents = 0;
  for await (const _document of readLanded()) documents += 1;
  const findSeconds = seconds(readStarted);

  const copy = db.collection<LandingDocument>(`baseline_insert_many_${task.batch_id.replaceAll('-', '')}`);
  await copy.drop().catch(() => undefined);
  let insertMs = 0;
  const insert = async (chunk: LandingDocument[]): Promise<void> => {
    const started = performance.now();
    await copy.insertMany(chunk, { ordered: false });
    insertMs += performance.now() - started;
  };
  let chunk: LandingDocument[] = [];
  for await (const document of readLanded()) {
    chunk.push(document);
    if (chunk.length >= LANDING_CHUNK_RECORDS) {
      await insert(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await insert(chunk);
  const inserted = await copy.countDocuments();
  await copy.drop();
  if (inserted !== documents) throw new Error(`baseline insertMany wrote ${inserted} documents, expected ${documents}`);
  return { rows: documents, seconds: findSeconds + insertMs / 1000, details: { find_seconds: findSeconds, insert_many_seconds: insertMs / 1000 } };
}

/**
 * Applies the batch with the hand-written statements, in one transaction per entity. `initial` creates the
 * baseline tables first (not timed) and then runs the same insert a delta runs; `delta` runs update, close of
 * absent keys and insert.
 */
export async function runBaselineSilver(task: Extract<BenchTask, { kind: 'baseline_silver' }>, connections: TaskConnections): Promise<TaskWork> {
  const { pool } = connections;
  const details: Record<string, Record<string, number>> = {};
  let rows = 0;
  let total = 0;
  const params = [task.batch_id, task.batch_timestamp];
  for (const entity_id of BENCH_ENTITIES) {
    const model = modelOf(entity_id);
    if (task.phase === 'initial') for (const statement of createBaselineSilverSql(entity_id, model)) await pool.query(statement);
    const counted = await pool.query<{ rows: number }>(
      `select count(*)::int as rows from ${qualified(BRONZE_SCHEMA, entity_id)} where "_dp_batch_id" = $1::uuid`,
      [task.batch_id],
    );
    // Fresh statistics (not timed): without them the planner may run the anti-join of the close of absent keys
    // as a nested loop over bronze, minutes instead of a second, and the baseline would stop being the limit.
    // Not for the empty table of the initial load: "empty" would make the insert's own not-exists probe a seq scan
    // of the rows it has inserted so far (quadratic).
    await pool.query(`analyze ${qualified(BRONZE_SCHEMA, entity_id)}`);
    if (task.phase === 'delta') await pool.query(`analyze ${qualified(BASELINE_SCD_SCHEMA, entity_id)}`);
    const started = performance.now();
    const statements = await withTransaction(pool, async (tx) => {
      const done: Record<string, number> = {};
      if (task.phase === 'delta') {
        done.updated = (await tx.client.query(baselineUpdateSql(entity_id, model), params)).rowCount ?? 0;
        done.deleted = (await tx.client.query(baselineCloseAbsentSql(entity_id, model), params)).rowCount ?? 0;
      }
      done.inserted = (await tx.client.query(baselineInsertSql(entity_id, model), params)).rowCount ?? 0;
      return done;
    });
    const took = seconds(started);
    const read = counted.rows[0]?.rows ?? 0;
    details[entity_id] = { records_in: read, ...statements, seconds: took };
    rows += read;
    total += took;
  }
  return { rows, seconds: total, details };
}
