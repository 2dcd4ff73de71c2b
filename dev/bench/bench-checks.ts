/**
 * A benchmark that measured the wrong work is worse than none: each stage's counts are checked against what the
 * generator says they must be, and the SQL baseline's silver tables against the engine's.
 */
import type pg from 'pg';
import { SILVER_SCHEMA } from '../../shared/core/table-layout.ts';
import { BASELINE_SCD_SCHEMA, silverSummarySql } from './baseline-sql.ts';
import { BENCH_ENTITIES } from './bench-metadata.ts';
import type { ExpectedSilverCounts } from './bench-records.ts';
import type { TaskResult } from './bench-task.ts';

/** Thrown when a stage did not do the work it was measured for. */
export class BenchCheckError extends Error {}

function entityDetail(result: TaskResult, entity_id: string): Record<string, unknown> {
  const detail = result.details[entity_id];
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new BenchCheckError(`no details for ${entity_id}`);
  return detail;
}

/** Checks the rows a stage reports per entity. */
export function checkRows(stage: string, result: TaskResult, expected: Readonly<Record<string, number>>): void {
  for (const [entity_id, rows] of Object.entries(expected)) {
    const got = entityDetail(result, entity_id).rows;
    if (got !== rows) throw new BenchCheckError(`${stage}: ${entity_id} processed ${String(got)} rows, expected ${rows}`);
  }
}

/** Checks the silver counts of a silver stage per entity. */
export function checkSilverCounts(stage: string, result: TaskResult, expected: Readonly<Record<string, ExpectedSilverCounts>>): void {
  for (const [entity_id, counts] of Object.entries(expected)) {
    const detail = entityDetail(result, entity_id);
    for (const [name, value] of Object.entries(counts)) {
      if (detail[name] !== value) throw new BenchCheckError(`${stage}: ${entity_id} ${name} = ${String(detail[name])}, expected ${value}`);
    }
  }
}

/** Checks that the baseline's silver tables hold what the engine's hold (versions, open, deleted, current). */
export async function checkBaselineAgrees(pool: pg.Pool, stage: string): Promise<void> {
  for (const entity_id of BENCH_ENTITIES) {
    const engine = (await pool.query(silverSummarySql(SILVER_SCHEMA, entity_id))).rows[0] as Record<string, number>;
    const baseline = (await pool.query(silverSummarySql(BASELINE_SCD_SCHEMA, entity_id))).rows[0] as Record<string, number>;
    if (JSON.stringify(engine) !== JSON.stringify(baseline)) {
      throw new BenchCheckError(`${stage}: the SQL baseline's ${entity_id} (${JSON.stringify(baseline)}) differs from silver's (${JSON.stringify(engine)})`);
    }
  }
}
