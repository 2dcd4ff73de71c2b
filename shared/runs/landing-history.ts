/**
 * What the layers read of a batch's landings (`audit.system_run`) beyond run control: where a batch came from, the
 * timestamp a rerun keeps, the succeeded landing bronze reads and the attempts whose records nobody reads.
 * Read-only; the rows are written by `system-runs.ts`.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';

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

/** The `batch_timestamp` of a batch's earlier landing attempts: a rerun keeps it, so its window is the same. */
export async function earlierBatchTimestamp(db: Db, batch_id: string, system_id: string): Promise<Date | undefined> {
  const result = await query<{ batch_timestamp: Date }>(
    db,
    'read batch timestamp',
    `select batch_timestamp
       from audit.system_run
      where batch_id = $1
        and system_id = $2
      order by started_at
      limit 1`,
    [batch_id, system_id],
  );
  return result.rows[0]?.batch_timestamp;
}

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

/**
 * The batch's other landing attempts that wrote records nobody reads: failed ones, and running ones taken over as
 * stale (skipped calls wrote nothing). Usually none, so the common landing asks the landing store for nothing.
 */
export async function unsucceededLandingRunIds(db: Db, ref: { readonly batch_id: string; readonly system_id: string; readonly run_id: string }): Promise<string[]> {
  const result = await query<{ run_id: string }>(
    db,
    'read unsucceeded landing attempts',
    `select run_id
       from audit.system_run
      where batch_id = $1
        and system_id = $2
        and run_id <> $3
        and status in ('failed', 'running')`,
    [ref.batch_id, ref.system_id, ref.run_id],
  );
  return result.rows.map((row) => row.run_id);
}

/** The ids of the landed batches `like` the pattern (at most two, so a caller can tell an ambiguous prefix). */
export async function findBatchIds(db: Db, batchIdLike: string): Promise<string[]> {
  const found = await query<{ batch_id: string }>(
    db,
    'find batch by id prefix',
    `select distinct batch_id::text as batch_id from audit.system_run where batch_id::text like $1 limit 2`,
    [batchIdLike],
  );
  return found.rows.map((row) => row.batch_id);
}
