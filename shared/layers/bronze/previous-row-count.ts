import { query, type Db } from '../../adapters/postgres/transaction.ts';

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
