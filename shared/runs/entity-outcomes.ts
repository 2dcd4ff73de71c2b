import { query, type Db } from '../adapters/postgres/transaction.ts';

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
