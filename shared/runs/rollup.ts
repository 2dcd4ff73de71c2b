import { summarizeLayer } from '../core/run-status.ts';
import { NotFoundError } from '../errors.ts';
import { query, type Transaction } from '../adapters/postgres/transaction.ts';
import type { SystemLayerRun, SystemRun } from './run-types.ts';

/**
 * Locks a layer run's row until the transaction ends. Every call finishing an entity of the layer takes this lock
 * first, so their recounts take turns and each sees the entities finished before it. `for no key update` leaves
 * foreign-key checks of concurrent starts unblocked.
 */
export async function lockSystemLayerRun(tx: Transaction, layerRunId: string): Promise<SystemLayerRun> {
  const result = await query<SystemLayerRun>(
    tx,
    'lock system layer run',
    'select * from audit.system_layer_run where run_id = $1 for no key update',
    [layerRunId],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError(`system layer run ${layerRunId} does not exist`);
  return row;
}

/** The layer run after a recount, and whether this recount completed it (true exactly once per layer run). */
export interface LayerRecount {
  readonly layerRun: SystemLayerRun;
  readonly isLastEntity: boolean;
}

/**
 * Recounts a locked layer run from its entities' latest runs (skipped duplicates not counted; an entity whose
 * latest run is still running has no outcome yet), and finishes it once every expected entity has an outcome.
 * Recounting rather than adding keeps the counts right when an entity is forced again. `before` is the row as
 * locked: only the recount that moves `finished_at` from empty reports `isLastEntity`.
 */
export async function recountSystemLayerRun(tx: Transaction, before: SystemLayerRun): Promise<LayerRecount> {
  const counted = await query<SystemLayerRun>(
    tx,
    'recount system layer run',
    `with latest as (
       select distinct on (entity_id) entity_id, status
         from audit.entity_layer_run
        where system_layer_run_id = $1
          and duplicate_of_run_id is null
        order by entity_id, started_at desc, run_id desc
     ),
     outcomes as (
       select count(*) filter (where status = 'succeeded')::int as succeeded,
              count(*) filter (where status = 'failed')::int as failed,
              count(*) filter (where status = 'skipped')::int as skipped
         from latest
     )
     update audit.system_layer_run as layer_run
        set entities_succeeded = outcomes.succeeded,
            entities_failed = outcomes.failed,
            entities_skipped = outcomes.skipped
       from outcomes
      where layer_run.run_id = $1
      returning layer_run.*`,
    [before.run_id],
  );
  const layerRun = counted.rows[0] as SystemLayerRun;
  const summary = summarizeLayer(layerRun, layerRun.entities_expected);
  if (!summary.isComplete) return { layerRun, isLastEntity: false };
  const finished = await query<SystemLayerRun>(
    tx,
    'finish system layer run',
    `update audit.system_layer_run
        set status = $2,
            finished_at = coalesce(finished_at, clock_timestamp())
      where run_id = $1
      returning *`,
    [before.run_id, summary.status],
  );
  return { layerRun: finished.rows[0] as SystemLayerRun, isLastEntity: before.finished_at === null };
}

/**
 * Recounts a system run's entities over all its processing layers (landing excluded: its entities are landing
 * collections, not entities): an entity counts as failed if its latest run in any layer failed, succeeded if one
 * succeeded and none failed, skipped if all were skipped. Locks the system run row first (after the layer row,
 * always in that order, so finishing calls cannot deadlock).
 */
export async function recountSystemRun(tx: Transaction, systemRunId: string): Promise<SystemRun> {
  await query(tx, 'lock system run', 'select run_id from audit.system_run where run_id = $1 for no key update', [systemRunId]);
  const counted = await query<SystemRun>(
    tx,
    'recount system run',
    `with latest as (
       select distinct on (layer, entity_id) layer, entity_id, status
         from audit.entity_layer_run
        where system_run_id = $1
          and duplicate_of_run_id is null
          and layer <> 'landing'
        order by layer, entity_id, started_at desc, run_id desc
     ),
     per_entity as (
       select entity_id,
              case
                when bool_or(status = 'failed') then 'failed'
                when bool_or(status = 'succeeded') then 'succeeded'
                when bool_and(status = 'skipped') then 'skipped'
              end as outcome
         from latest
        group by entity_id
     ),
     outcomes as (
       select count(*) filter (where outcome = 'succeeded')::int as succeeded,
              count(*) filter (where outcome = 'failed')::int as failed,
              count(*) filter (where outcome = 'skipped')::int as skipped
         from per_entity
     )
     update audit.system_run as system_run
        set entities_succeeded = outcomes.succeeded,
            entities_failed = outcomes.failed,
            entities_skipped = outcomes.skipped
       from outcomes
      where system_run.run_id = $1
      returning system_run.*`,
    [systemRunId],
  );
  const row = counted.rows[0];
  if (!row) throw new NotFoundError(`system run ${systemRunId} does not exist`);
  return row;
}
