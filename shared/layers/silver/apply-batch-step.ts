import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import { closeAbsentKeysSql } from './close-absent-keys.ts';
import { insertVersionsSql } from './insert-versions.ts';
import type { BatchRef, LoadType, SilverCounts, SilverSqlContext } from './silver-entity.ts';
import { dropStageSql, stageBatchSql, stageCountsSql } from './stage-batch.ts';
import { updateVersionsSql } from './update-versions.ts';

/** What one batch did to silver, and how many of its records lost to a later one of the same key. */
export interface BatchStepResult {
  readonly counts: SilverCounts;
  readonly duplicates: number;
}

function first<T>(rows: readonly T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`silver: ${what} returned no row`);
  return row;
}

/**
 * Applies one batch on top of silver, set-based: stage the batch (one statement), then one statement per step:
 * update existing versions (SCD1 overwrite, close changed), close absent keys (full loads), insert new
 * versions. The caller holds the entity lock and has checked that the batch is newer than silver.
 */
export async function applyBatchStep(
  tx: Transaction,
  ctx: SilverSqlContext,
  step: { readonly loadType: LoadType; readonly batch: BatchRef; readonly callId: string; readonly entityId: string },
): Promise<BatchStepResult> {
  const { batch_id, batch_timestamp } = step.batch;
  const action = (what: string): string => `${what} (silver ${step.entityId}, batch ${batch_id})`;

  await query(tx, action('drop earlier staging'), dropStageSql(ctx));
  await query(tx, action('stage batch'), stageBatchSql(ctx), [batch_id]);
  // Temp tables are never analysed automatically; without statistics the planner guesses the batch's size.
  await query(tx, action('analyse staged batch'), `analyze ${ctx.stage}`);
  const staged = first((await query<{ staged: number; records_in: number }>(tx, action('count staged batch'), stageCountsSql(ctx))).rows, 'counting the stage');

  const updated = first(
    (await query<{ updated: number; scd1_only: number }>(tx, action('update versions'), updateVersionsSql(ctx), [batch_timestamp, batch_id])).rows,
    'updating versions',
  );
  let deleted = 0;
  if (step.loadType === 'full') {
    deleted = first((await query<{ deleted: number }>(tx, action('close absent keys'), closeAbsentKeysSql(ctx), [batch_timestamp, batch_id])).rows, 'closing absent keys').deleted;
  }
  const inserted = first(
    (await query<{ inserted: number }>(tx, action('insert versions'), insertVersionsSql(ctx), [batch_timestamp, batch_id, step.callId])).rows,
    'inserting versions',
  ).inserted;

  return {
    counts: {
      records_in: staged.records_in,
      records_inserted: inserted,
      records_updated: updated.updated,
      records_deleted: deleted,
      records_unchanged: staged.staged - inserted - updated.scd1_only,
    },
    duplicates: staged.records_in - staged.staged,
  };
}
