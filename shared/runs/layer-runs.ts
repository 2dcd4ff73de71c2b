import { NotFoundError } from '../errors.ts';
import { inTransaction, query, type Db } from '../adapters/postgres/transaction.ts';
import { newRunId } from './ids.ts';
import { parseRunInput } from './run-errors.ts';
import { OpenSystemLayerRunInput, type SystemLayerRun } from './run-types.ts';

/** The layer run, and whether this call opened it (`false`: it was already open, and is returned unchanged). */
export interface OpenedLayerRun {
  readonly layerRun: SystemLayerRun;
  readonly opened: boolean;
}

/**
 * Opens a system's layer for a batch with the number of entities it waits for, linked to the batch's landing
 * run. Idempotent: a second open of the same batch, system and layer returns the existing row (its expected
 * count is kept), so the caller that chains the layer may open it in the transaction that writes its outbox
 * messages, and a replayed call does no harm. A layer with no entities is `skipped` at once.
 */
export async function openSystemLayerRun(db: Db, input: OpenSystemLayerRunInput): Promise<OpenedLayerRun> {
  const request = parseRunInput(OpenSystemLayerRunInput, input, 'open system layer run');
  return inTransaction(db, async (tx) => {
    const inserted = await query<SystemLayerRun>(
      tx,
      'open system layer run',
      `insert into audit.system_layer_run (
         run_id, batch_id, batch_timestamp, system_id, layer, system_run_id, call_id, status,
         entities_expected, started_at, finished_at
       )
       select $1, landing.batch_id, landing.batch_timestamp, landing.system_id, $4, landing.run_id, $5,
              case when $6::int = 0 then 'skipped' else 'running' end,
              $6, clock_timestamp(),
              case when $6::int = 0 then clock_timestamp() end
         from (select run_id, batch_id, batch_timestamp, system_id
                 from audit.system_run
                where batch_id = $2
                  and system_id = $3
                  and duplicate_of_run_id is null
                order by (status = 'succeeded') desc, started_at desc
                limit 1) as landing
       on conflict on constraint system_layer_run_work_key do nothing
       returning *`,
      [newRunId(), request.batch_id, request.system_id, request.layer, request.call_id ?? null, request.entities_expected],
    );
    const opened = inserted.rows[0];
    if (opened) return { layerRun: opened, opened: true };
    const existing = await findSystemLayerRun(tx, request.batch_id, request.system_id, request.layer);
    if (existing) return { layerRun: existing, opened: false };
    throw new NotFoundError(`batch ${request.batch_id} of system ${request.system_id} has no landing run`);
  });
}

/** The layer run of a batch, system and layer, if it was opened. */
export async function findSystemLayerRun(
  db: Db,
  batchId: string,
  systemId: string,
  layer: string,
): Promise<SystemLayerRun | undefined> {
  const result = await query<SystemLayerRun>(
    db,
    'read system layer run',
    `select *
       from audit.system_layer_run
      where batch_id = $1
        and system_id = $2
        and layer = $3`,
    [batchId, systemId, layer],
  );
  return result.rows[0];
}
