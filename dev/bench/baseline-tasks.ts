/**
 * The baselines the stages are compared with, run on the same rows in the same database: PostgreSQL's COPY of
 * the already-flattened bronze rows (the physical limit for bronze), and the hand-written SCD2 statements of
 * `baseline-sql.ts` (the limit for silver).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ident, qualified } from '../../shared/adapters/postgres/sql.ts';
import { withTransaction } from '../../shared/adapters/postgres/transaction.ts';
import type { EntityModel } from '../../shared/core/entity-model.ts';
import { BRONZE_SCHEMA } from '../../shared/core/table-layout.ts';
import { bronzeTableSpec } from '../../shared/layers/tables/entity-tables.ts';
import {
  BASELINE_COPY_SCHEMA,
  BASELINE_SCD_SCHEMA,
  baselineCloseAbsentSql,
  baselineInsertSql,
  baselineUpdateSql,
  createBaselineSilverSql,
} from './baseline-sql.ts';
import { BENCH_ENTITIES, benchMetadata } from './bench-metadata.ts';
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
