/**
 * The audit trail over time, as the dashboard charts it: runs per hour and status, rows per entity and batch, and
 * each system's latest landing that reached its source. Read-only, one statement each.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';
import type { Layer, RunStatus } from '../core/run-status.ts';

/** How many runs (landings and entity runs) started in one hour with one status. */
export interface RunsInHour {
  readonly hour: Date;
  readonly status: RunStatus;
  readonly runs: number;
}

/**
 * Runs started per hour and status since `since` (landings and entity runs of every layer; skipped duplicates of
 * a delivery left out, as they are no work), oldest first.
 */
export async function runsPerHour(db: Db, options: { since: Date; systemId?: string | undefined }): Promise<RunsInHour[]> {
  const result = await query<RunsInHour>(
    db,
    'read runs per hour',
    `with runs as (
       select system_id, status, started_at from audit.system_run where duplicate_of_run_id is null
       union all
       select system_id, status, started_at from audit.entity_layer_run where duplicate_of_run_id is null
     )
     select date_trunc('hour', started_at) as hour, status, count(*)::int as runs
       from runs
      where started_at >= $1
        and ($2::text is null or system_id = $2)
      group by 1, 2
      order by 1, 2`,
    [options.since, options.systemId ?? null],
  );
  return result.rows;
}

/** The latest finished run of one entity of one batch in one layer, with its row counts. */
export interface EntityBatchRows {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly entity_id: string;
  readonly status: RunStatus;
  readonly records_in: number;
  readonly records_inserted: number;
  readonly records_rejected: number;
}

/**
 * Per entity, the latest finished run in `layer` of each of the latest `limit` batches that reached the layer (of one
 * system, or all), oldest batch first.
 */
export async function entityRowsPerBatch(
  db: Db,
  options: { layer: Layer; systemId?: string | undefined; limit: number },
): Promise<EntityBatchRows[]> {
  const result = await query<EntityBatchRows>(
    db,
    'read entity rows per batch',
    `with recent as (
       select batch_id, max(batch_timestamp) as batch_timestamp
         from audit.entity_layer_run
        where layer = $1
          and ($2::text is null or system_id = $2)
        group by batch_id
        order by max(batch_timestamp) desc, batch_id desc
        limit $3
     )
     select distinct on (recent.batch_timestamp, run.batch_id, run.entity_id)
            run.batch_id, recent.batch_timestamp, run.system_id, run.entity_id, run.status,
            run.records_in, run.records_inserted, run.records_rejected
       from recent
       join audit.entity_layer_run as run
         on run.batch_id = recent.batch_id
      where run.layer = $1
        and run.duplicate_of_run_id is null
        and run.status <> 'running'
      order by recent.batch_timestamp, run.batch_id, run.entity_id, run.started_at desc, run.run_id desc`,
    [options.layer, options.systemId ?? null, options.limit],
  );
  return result.rows;
}

/** When a system's latest landing that reached its source finished. */
export interface LatestReachedLanding {
  readonly system_id: string;
  readonly finished_at: Date;
}

/**
 * Each system's latest landing that reached its source: succeeded, or skipped because the source had nothing new
 * (not a skipped duplicate of another call). What freshness is judged from.
 */
export async function latestReachedLandings(db: Db): Promise<LatestReachedLanding[]> {
  const result = await query<LatestReachedLanding>(
    db,
    'read latest reached landings',
    `select system_id, max(finished_at) as finished_at
       from audit.system_run
      where status = 'succeeded'
         or (status = 'skipped' and duplicate_of_run_id is null)
      group by system_id`,
  );
  return result.rows;
}
