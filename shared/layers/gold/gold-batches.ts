/**
 * What the gold layer reads from the audit schema and the catalog before it recomputes: which system a batch
 * belongs to, which batch last changed a source, whether a batch changed any source, and which source tables exist.
 */
import { query, type Db } from '../../adapters/postgres/transaction.ts';
import type { SourceTable } from './gold-processor.ts';

/** A batch as its landing recorded it. */
export interface BatchOrigin {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
}

/** The system and timestamp of a batch (from its landing run), or undefined for a batch no landing knows. */
export async function findBatchOrigin(db: Db, batchId: string): Promise<BatchOrigin | undefined> {
  const result = await query<BatchOrigin>(
    db,
    'read batch origin',
    `select landing.batch_id::text as batch_id,
            landing.batch_timestamp,
            landing.system_id
       from audit.system_run as landing
      where landing.batch_id = $1
      order by landing.started_at
      limit 1`,
    [batchId],
  );
  return result.rows[0];
}

/**
 * The newest batch (by batch_timestamp, then id) in which silver succeeded for one of `sourceIds`: the batch a
 * gold call without `batch_id` (a manual recompute) is recorded under.
 */
export async function latestSourceBatch(db: Db, sourceIds: readonly string[]): Promise<string | undefined> {
  const result = await query<{ batch_id: string }>(
    db,
    'find latest source batch',
    `select run.batch_id::text as batch_id
       from audit.entity_layer_run as run
      where run.layer = 'silver'
        and run.status = 'succeeded'
        and run.entity_id = any($1::text[])
      order by run.batch_timestamp desc, run.batch_id desc
      limit 1`,
    [sourceIds],
  );
  return result.rows[0]?.batch_id;
}

/** Whether silver succeeded for one of `sourceIds` in the batch: else the batch changed nothing gold reads. */
export async function hasSourceSucceeded(db: Db, batchId: string, sourceIds: readonly string[]): Promise<boolean> {
  const result = await query<{ succeeded: boolean }>(
    db,
    'look for succeeded source runs',
    `select exists (
       select 1
         from audit.entity_layer_run as run
        where run.batch_id = $1
          and run.layer = 'silver'
          and run.status = 'succeeded'
          and run.entity_id = any($2::text[])
     ) as succeeded`,
    [batchId, sourceIds],
  );
  return result.rows[0]?.succeeded ?? false;
}

/** The source tables that do not exist yet (their entity never reached silver), by entity id. */
export async function missingSourceTables(db: Db, sources: readonly SourceTable[]): Promise<string[]> {
  if (sources.length === 0) return [];
  const result = await query<{ entity_id: string }>(
    db,
    'look for source tables',
    `select source.entity_id
       from unnest($1::text[], $2::text[]) as source (entity_id, table_name)
      where to_regclass(source.table_name) is null
      order by source.entity_id`,
    [sources.map((source) => source.entity_id), sources.map((source) => source.table)],
  );
  return result.rows.map((row) => row.entity_id);
}
