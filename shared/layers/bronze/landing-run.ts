import { query, type Db } from '../../adapters/postgres/transaction.ts';

/** The landing run whose records bronze reads: the batch's succeeded landing. */
export interface SucceededLanding {
  readonly run_id: string;
  /** As PostgreSQL's text, so bronze rows carry it to the microsecond (pg's Date keeps milliseconds). */
  readonly batch_timestamp: string;
}

/**
 * The succeeded landing run of a batch of a system, or undefined while it has none (running, failed, unknown).
 * Bronze reads only this run's records: a failed or taken-over attempt of the same batch may have left records
 * of its own in landing, and they never reach bronze.
 */
export async function findSucceededLanding(db: Db, batch_id: string, system_id: string): Promise<SucceededLanding | undefined> {
  const result = await query<SucceededLanding>(
    db,
    'read succeeded landing run',
    `select run.run_id, run.batch_timestamp::text as batch_timestamp
       from audit.system_run as run
      where run.batch_id = $1
        and run.system_id = $2
        and run.status = 'succeeded'
        and run.duplicate_of_run_id is null
      order by run.finished_at desc
      limit 1`,
    [batch_id, system_id],
  );
  return result.rows[0];
}
