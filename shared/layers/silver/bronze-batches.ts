import { query, type Db } from '../../adapters/postgres/transaction.ts';
import type { BatchRef } from './silver-entity.ts';

/**
 * The batches of an entity that a bronze run wrote successfully (`audit.entity_layer_run`), in batch order:
 * what a rebuild replays. A bronze write is all or nothing, so a batch with any succeeded bronze run has its
 * rows in bronze; a later failed or running rerun left none of its own, and silver reads the latest write.
 */
export async function listSucceededBronzeBatches(db: Db, entityId: string): Promise<BatchRef[]> {
  const result = await query<BatchRef>(
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
