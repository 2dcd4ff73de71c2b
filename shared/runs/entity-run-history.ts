/**
 * What the layers read of earlier entity runs (`audit.entity_layer_run`) before they work: the rows bronze wrote
 * for an entity's previous batch, the batches bronze wrote (what silver replays), the batches in which silver
 * succeeded for gold's sources, and which of a gold entity's sources still await their silver outcome in a batch.
 * Read-only; the rows are written by `entity-runs.ts`.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';
import { NotFoundError } from '../errors.ts';

/** A batch of an entity, its timestamp as PostgreSQL's text (to the microsecond). */
export interface EntityBatch {
  readonly batch_id: string;
  readonly batch_timestamp: string;
}

/**
 * The rows the entity's previous batch wrote to bronze: the latest succeeded bronze run of an earlier batch (by
 * `batch_timestamp`), its written rows. A run succeeds only when every row the processor made was written (a row
 * that cannot be stored fails the run), so that is what the checks counted then. Null when there is
 * none. The baseline of the row-count change check and the full-load guard.
 */
export async function previousRowCount(db: Db, entity_id: string, batch: { readonly batch_id: string; readonly batch_timestamp: Date }): Promise<number | null> {
  const result = await query<{ rows: number }>(
    db,
    `read previous bronze row count of ${entity_id}`,
    `select run.records_inserted as rows
       from audit.entity_layer_run as run
      where run.entity_id = $1
        and run.layer = 'bronze'
        and run.status = 'succeeded'
        and run.batch_id <> $2
        and run.batch_timestamp <= $3
      order by run.batch_timestamp desc, run.batch_id desc, run.finished_at desc
      limit 1`,
    [entity_id, batch.batch_id, batch.batch_timestamp],
  );
  return result.rows[0]?.rows ?? null;
}

/**
 * The batches of an entity that a bronze run wrote successfully (`audit.entity_layer_run`), in batch order:
 * what a rebuild replays. A bronze write is all or nothing, so a batch with any succeeded bronze run has its
 * rows in bronze; a later failed or running rerun left none of its own, and silver reads the latest write.
 */
export async function listSucceededBronzeBatches(db: Db, entityId: string): Promise<EntityBatch[]> {
  const result = await query<EntityBatch>(
    db,
    `list bronze batches of ${entityId}`,
    `select run.batch_id::text as batch_id,
            min(run.batch_timestamp)::text as batch_timestamp
       from audit.entity_layer_run as run
      where run.entity_id = $1
        and run.layer = 'bronze'
        and run.status = 'succeeded'
      group by run.batch_id
      order by min(run.batch_timestamp), run.batch_id`,
    [entityId],
  );
  return result.rows;
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

/** The status of the entity's latest bronze run of the batch, and whether any bronze run of it succeeded. */
export async function readBronzeOutcome(db: Db, batchId: string, entityId: string): Promise<{ succeeded: boolean; latest: string | undefined }> {
  const result = await query<{ succeeded: boolean; latest: string | null }>(
    db,
    `read bronze runs of ${entityId}`,
    `select coalesce(bool_or(run.status = 'succeeded'), false) as succeeded,
            (array_agg(run.status order by run.started_at desc))[1] as latest
       from audit.entity_layer_run as run
      where run.batch_id = $1
        and run.layer = 'bronze'
        and run.entity_id = $2
        and run.duplicate_of_run_id is null`,
    [batchId, entityId],
  );
  const row = result.rows[0];
  return { succeeded: row?.succeeded ?? false, latest: row?.latest ?? undefined };
}

/** The batch timestamp of an entity run as text: pg's Date keeps milliseconds, and validity must match bronze to the microsecond. */
export async function readBatchTimestamp(db: Db, runId: string): Promise<string> {
  const result = await query<{ batch_timestamp: string }>(db, 'read batch timestamp', 'select batch_timestamp::text as batch_timestamp from audit.entity_layer_run where run_id = $1', [runId]);
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`entity run ${runId} does not exist`);
  return row.batch_timestamp;
}

/**
 * Which of `entityIds` have no outcome yet in a batch's layer: no finished run, or a run still running (a retry
 * under way). Read after `finishEntityRun` in the same transaction, which holds the layer run's lock, so of several
 * entity runs finishing at once exactly the last one sees all the others finished.
 */
export async function entitiesAwaitingOutcome(db: Db, batchId: string, layer: string, entityIds: readonly string[]): Promise<string[]> {
  if (entityIds.length === 0) return [];
  const result = await query<{ entity_id: string }>(
    db,
    'read entities awaiting an outcome',
    `select wanted.entity_id
       from unnest($3::text[]) as wanted (entity_id)
      where exists (select 1
                      from audit.entity_layer_run as run
                     where run.batch_id = $1 and run.layer = $2 and run.entity_id = wanted.entity_id
                       and run.status = 'running')
         or not exists (select 1
                          from audit.entity_layer_run as run
                         where run.batch_id = $1 and run.layer = $2 and run.entity_id = wanted.entity_id
                           and run.status <> 'running')
      order by wanted.entity_id`,
    [batchId, layer, entityIds],
  );
  return result.rows.map((row) => row.entity_id);
}
