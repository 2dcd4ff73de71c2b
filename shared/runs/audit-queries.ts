import { query, type Db } from '../adapters/postgres/transaction.ts';
import type { Layer, RunStatus } from '../core/run-status.ts';
import type { SystemLayerRun, SystemRun } from './run-types.ts';

/** A system's latest landing with the layers opened for its batch. */
export interface SystemOverview {
  readonly run: SystemRun;
  readonly layers: SystemLayerRun[];
}

/** Orders layers as data flows (landing, bronze, silver, gold), for every query that lists them. */
const LAYER_ORDER = `array_position(array['landing', 'bronze', 'silver', 'gold'], layer)`;

/**
 * The latest landing run of each system (skipped duplicates left out) with its batch's layer runs: the first
 * thing a person looks at ("did everything run, and how did it go").
 */
export async function latestSystemRuns(db: Db): Promise<SystemOverview[]> {
  const runs = await query<SystemRun>(
    db,
    'read latest system runs',
    `select distinct on (system_id) *
       from audit.system_run
      where duplicate_of_run_id is null
      order by system_id, started_at desc, run_id desc`,
  );
  if (runs.rows.length === 0) return [];
  const layers = await query<SystemLayerRun>(
    db,
    'read layer runs of latest system runs',
    `select *
       from audit.system_layer_run
      where system_run_id = any($1::uuid[])
      order by ${LAYER_ORDER}`,
    [runs.rows.map((run) => run.run_id)],
  );
  return runs.rows.map((run) => ({ run, layers: layers.rows.filter((layer) => layer.system_run_id === run.run_id) }));
}

/** A failed run of a system's landing (`layer` and `entity_id` null) or of an entity in a layer, with its error. */
export interface FailedWork {
  readonly level: 'system' | 'entity';
  readonly run_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly layer: Layer | null;
  readonly entity_id: string | null;
  readonly attempt: number;
  readonly call_id: string | null;
  readonly error: string | null;
  readonly started_at: Date;
  readonly finished_at: Date;
}

/**
 * Failed work (of all batches, or of `batchId`), newest first, with its error. By default only what is still failed:
 * the latest attempt of each piece of work (a batch's landing, an entity's batch in a layer), when that attempt
 * failed, so a retry that is running, succeeded or failed again replaces it; and a failed landing is left out once a
 * later landing of its system succeeded (that landing read what this one could not). `includeResolved` lists every
 * failed run.
 */
export async function failedWork(
  db: Db,
  options: { limit?: number; includeResolved?: boolean; batchId?: string } = {},
): Promise<FailedWork[]> {
  const result = await query<FailedWork>(
    db,
    'read failed work',
    `select 'system' as level, failed.run_id, failed.batch_id, failed.batch_timestamp, failed.system_id,
            null as layer, null as entity_id, failed.attempt, failed.call_id, failed.error,
            failed.started_at, failed.finished_at
       from audit.system_run as failed
      where failed.status = 'failed'
        and ($3::uuid is null or failed.batch_id = $3)
        and ($2 or not exists (
              select 1
                from audit.system_run as later
               where later.system_id = failed.system_id
                 and later.duplicate_of_run_id is null
                 and later.started_at > failed.started_at
                 and (later.batch_id = failed.batch_id or later.status = 'succeeded')))
     union all
     select 'entity', failed.run_id, failed.batch_id, failed.batch_timestamp, failed.system_id,
            failed.layer, failed.entity_id, failed.attempt, failed.call_id, failed.error,
            failed.started_at, failed.finished_at
       from audit.entity_layer_run as failed
      where failed.status = 'failed'
        and ($3::uuid is null or failed.batch_id = $3)
        and ($2 or not exists (
              select 1
                from audit.entity_layer_run as later
               where later.batch_id = failed.batch_id
                 and later.layer = failed.layer
                 and later.entity_id = failed.entity_id
                 and later.duplicate_of_run_id is null
                 and later.started_at > failed.started_at))
      order by finished_at desc
      limit $1`,
    [options.limit ?? 100, options.includeResolved ?? false, options.batchId ?? null],
  );
  return result.rows;
}

/** One layer of one batch: its entity outcomes and its row counts (latest finished run of each entity). */
export interface BatchLayerCounts {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly landing_status: RunStatus;
  /** Null when no layer was opened for the batch yet. */
  readonly layer: Layer | null;
  readonly layer_status: RunStatus | null;
  readonly entities_expected: number;
  readonly entities_succeeded: number;
  readonly entities_failed: number;
  readonly entities_skipped: number;
  readonly records_in: number;
  readonly records_inserted: number;
  readonly records_updated: number;
  readonly records_deleted: number;
  readonly records_rejected: number;
  readonly records_unchanged: number;
}

/**
 * The counts of the latest `limit` batches (of one system, one batch, or all), one row per batch and layer, newest
 * first.
 */
export async function countsPerBatch(
  db: Db,
  options: { systemId?: string; limit?: number; batchId?: string } = {},
): Promise<BatchLayerCounts[]> {
  const result = await query<BatchLayerCounts>(
    db,
    'read counts per batch',
    `with batches as (
       select distinct on (batch_id, system_id) batch_id, batch_timestamp, system_id, status as landing_status
         from audit.system_run
        where duplicate_of_run_id is null
          and ($1::text is null or system_id = $1)
          and ($3::uuid is null or batch_id = $3)
        order by batch_id, system_id, started_at desc
     ),
     recent as (
       select *
         from batches
        order by batch_timestamp desc, batch_id desc
        limit $2
     )
     select recent.batch_id, recent.batch_timestamp, recent.system_id, recent.landing_status,
            layer_run.layer, layer_run.status as layer_status,
            coalesce(layer_run.entities_expected, 0) as entities_expected,
            coalesce(layer_run.entities_succeeded, 0) as entities_succeeded,
            coalesce(layer_run.entities_failed, 0) as entities_failed,
            coalesce(layer_run.entities_skipped, 0) as entities_skipped,
            coalesce(sums.records_in, 0)::int as records_in,
            coalesce(sums.records_inserted, 0)::int as records_inserted,
            coalesce(sums.records_updated, 0)::int as records_updated,
            coalesce(sums.records_deleted, 0)::int as records_deleted,
            coalesce(sums.records_rejected, 0)::int as records_rejected,
            coalesce(sums.records_unchanged, 0)::int as records_unchanged
       from recent
       left join audit.system_layer_run as layer_run
         on layer_run.batch_id = recent.batch_id
        and layer_run.system_id = recent.system_id
       left join lateral (
         select sum(latest.records_in) as records_in,
                sum(latest.records_inserted) as records_inserted,
                sum(latest.records_updated) as records_updated,
                sum(latest.records_deleted) as records_deleted,
                sum(latest.records_rejected) as records_rejected,
                sum(latest.records_unchanged) as records_unchanged
           from (select distinct on (entity_id) *
                   from audit.entity_layer_run
                  where system_layer_run_id = layer_run.run_id
                    and duplicate_of_run_id is null
                    and status <> 'running'
                  order by entity_id, started_at desc, run_id desc) as latest
       ) as sums on true
      order by recent.batch_timestamp desc, recent.batch_id desc,
               array_position(array['landing', 'bronze', 'silver', 'gold'], layer_run.layer)`,
    [options.systemId ?? null, options.limit ?? 20, options.batchId ?? null],
  );
  return result.rows;
}
