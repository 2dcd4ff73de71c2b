/**
 * `--repeat K`: silver's two stages and their baselines measured K times, each time from the same starting state,
 * so their ratios come with a median and a spread instead of one draw of a noisy machine. The state before a
 * stage is kept in schema `bench_snapshot` (untimed) and put back before every repeat: the silver and baseline
 * tables as they were, and the stage's batch no longer recorded as applied, so the engine applies it on top again.
 * A table the snapshot did not hold (before the initial load) is dropped, so the stage creates it as the first
 * time: an emptied table that autovacuum analysed while empty would look empty to the planner, and the baseline's
 * insert probe then scans the table once per row. Restored tables are freshly written and not analysed.
 */
import type pg from 'pg';
import { ident, qualified } from '../../shared/adapters/postgres/sql.ts';
import { BRONZE_SCHEMA, SILVER_SCHEMA } from '../../shared/core/table-layout.ts';
import { APPLIED_BATCH_TABLE } from '../../shared/layers/silver/applied-batches.ts';
import { BASELINE_SCD_SCHEMA } from './baseline-sql.ts';
import { BENCH_ENTITIES } from './bench-metadata.ts';

const SNAPSHOT_SCHEMA = 'bench_snapshot';
const SCHEMAS = [SILVER_SCHEMA, BASELINE_SCD_SCHEMA] as const;

const snapshotOf = (schema: string, entity_id: string): string => qualified(SNAPSHOT_SCHEMA, `${schema}_${entity_id}`);

/** Keeps the silver and baseline tables of every bench entity as they are now (empty ones: none yet). */
export async function snapshotSilver(pool: pg.Pool): Promise<void> {
  await pool.query(`drop schema if exists ${ident(SNAPSHOT_SCHEMA)} cascade`);
  await pool.query(`create schema ${ident(SNAPSHOT_SCHEMA)}`);
  for (const schema of SCHEMAS) {
    for (const entity_id of BENCH_ENTITIES) {
      const exists = await pool.query<{ found: boolean }>('select to_regclass($1) is not null as found', [qualified(schema, entity_id)]);
      if (exists.rows[0]?.found) await pool.query(`create table ${snapshotOf(schema, entity_id)} as select * from ${qualified(schema, entity_id)}`);
    }
  }
}

/** Puts the snapshot back (a table it did not hold is dropped) and forgets that silver applied `batch_id`. */
export async function restoreSilver(pool: pg.Pool, batch_id: string): Promise<void> {
  for (const schema of SCHEMAS) {
    for (const entity_id of BENCH_ENTITIES) {
      const found = await pool.query<{ table: boolean; snapshot: boolean }>(
        'select to_regclass($1) is not null as table, to_regclass($2) is not null as snapshot',
        [qualified(schema, entity_id), snapshotOf(schema, entity_id)],
      );
      const { table, snapshot } = found.rows[0] ?? { table: false, snapshot: false };
      if (!table) continue;
      if (!snapshot) {
        await pool.query(`drop table ${qualified(schema, entity_id)}`);
        continue;
      }
      await pool.query(`truncate table ${qualified(schema, entity_id)}`);
      await pool.query(`insert into ${qualified(schema, entity_id)} select * from ${snapshotOf(schema, entity_id)}`);
    }
  }
  await pool.query(`delete from ${qualified(SILVER_SCHEMA, APPLIED_BATCH_TABLE)} where batch_id = $1::uuid`, [batch_id]);
}

/**
 * Vacuums and analyses the bench entities' bronze, silver and baseline tables that exist (untimed, before every
 * silver measurement). Without it the first measurement after a load is a draw: the rows just written have no hint
 * bits (the first statement to read them writes every page again, and the baseline, running second, finds them set),
 * autovacuum may be working on them meanwhile, and the tables may or may not have statistics yet. On this machine
 * that alone moved silver delta between 1.2× and 2.7× in one run (docs/benchmark.md, "Repeats"). Production applies
 * batch 2 long after batch 1, when autovacuum has done this.
 */
export async function settleTables(pool: pg.Pool): Promise<void> {
  for (const schema of [BRONZE_SCHEMA, ...SCHEMAS]) {
    for (const entity_id of BENCH_ENTITIES) {
      const exists = await pool.query<{ found: boolean }>('select to_regclass($1) is not null as found', [qualified(schema, entity_id)]);
      if (exists.rows[0]?.found) await pool.query(`vacuum (analyze) ${qualified(schema, entity_id)}`);
    }
  }
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
