/**
 * Which calls worked on a batch, and when a call's work started, from the runs that name them (landings, entity
 * runs, action attempts): what `dataplatform logs` needs to pick the lines of a call or a batch. Read-only.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';

/** When the call's first run started, if any audit row names it. */
export async function callStart(db: Db, callId: string): Promise<Date | undefined> {
  const result = await query<{ started_at: Date | null }>(
    db,
    'find call start',
    `select min(started_at) as started_at
       from (select started_at from audit.system_run where call_id = $1
             union all select started_at from audit.entity_layer_run where call_id = $1
             union all select started_at from audit.action_run where call_id = $1) as runs`,
    [callId],
  );
  return result.rows[0]?.started_at ?? undefined;
}

/** A batch, when its first run started, and every call its runs name. */
export interface BatchCalls {
  readonly batch_id: string;
  readonly started: Date | null;
  readonly call_ids: string[] | null;
}

/**
 * The batches whose id is `like` the pattern (at most two, so a caller can tell an ambiguous prefix), each with
 * when its work started and the calls its runs name.
 */
export async function findBatchCalls(db: Db, batchIdLike: string): Promise<BatchCalls[]> {
  const result = await query<BatchCalls>(
    db,
    'find batch calls',
    `with runs as (
       select batch_id, call_id, started_at from audit.system_run where batch_id::text like $1
       union all select batch_id, call_id, started_at from audit.entity_layer_run where batch_id::text like $1
       union all select batch_id, call_id, started_at from audit.action_run where batch_id::text like $1
     )
     select batch_id::text as batch_id, min(started_at) as started, array_agg(distinct call_id) filter (where call_id is not null) as call_ids
       from runs
      group by batch_id
      limit 2`,
    [batchIdLike],
  );
  return result.rows;
}
