/**
 * Where the work of a local session stands: every batch whose landing started since the session began (the one
 * the start command invoked, and any the scheduler started), read from the audit schema.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';

/** Counts of what is still moving, over the session's batches. */
export interface SessionProgress {
  /** Landings started since the session began (any system). */
  readonly batches: number;
  /** Landing and entity runs still `running`. */
  readonly running: number;
  /** Chained calls written but not yet handed to the gateway. */
  readonly undelivered: number;
  /**
   * Chained calls the gateway accepted whose run has not started: queued, or lost (the scheduler sends a lost one
   * again after its grace period, docs/runtime.md).
   */
  readonly unstarted: number;
  /** Layer runs waiting for entities. */
  readonly open_layers: number;
  /** Which batches the session has seen, oldest first, with the landing's status. */
  readonly landings: readonly { batch_id: string; system_id: string; status: string }[];
}

/** The database's clock: sessions are bounded by it, as run staleness is. */
export async function databaseNow(db: Db): Promise<Date> {
  const result = await query<{ now: Date }>(db, 'read database time', 'select now() as now');
  return result.rows[0]?.now ?? new Date();
}

/** Reads the progress of the batches whose landing started at or after `since`. */
export async function readSessionProgress(db: Db, since: Date): Promise<SessionProgress> {
  const landings = await query<{ batch_id: string; system_id: string; status: string }>(
    db,
    'read session landings',
    `select distinct on (batch_id, system_id) batch_id, system_id, status
       from audit.system_run
      where duplicate_of_run_id is null
        and batch_id in (select batch_id from audit.system_run where started_at >= $1)
      order by batch_id, system_id, started_at desc`,
    [since],
  );
  const counts = await query<{ running: number; undelivered: number; unstarted: number; open_layers: number }>(
    db,
    'read session progress',
    `with session as (
       select distinct batch_id
         from audit.system_run
        where started_at >= $1
     )
     select (select count(*) from audit.system_run where status = 'running' and batch_id in (select batch_id from session))::int
          + (select count(*) from audit.entity_layer_run where status = 'running' and batch_id in (select batch_id from session))::int
            as running,
            (select count(*) from audit.outbox where delivered_at is null and (batch_id in (select batch_id from session) or created_at >= $1))::int
            as undelivered,
            (select count(*) from audit.outbox
              where delivered_call_id is not null
                and (batch_id in (select batch_id from session) or created_at >= $1)
                and not exists (select 1 from audit.system_run run where run.call_id = outbox.delivered_call_id)
                and not exists (select 1 from audit.entity_layer_run run where run.call_id = outbox.delivered_call_id)
                and not exists (select 1 from audit.action_run run where run.call_id = outbox.delivered_call_id))::int
            as unstarted,
            (select count(*) from audit.system_layer_run where finished_at is null and batch_id in (select batch_id from session))::int
            as open_layers`,
    [since],
  );
  const row = counts.rows[0] ?? { running: 0, undelivered: 0, unstarted: 0, open_layers: 0 };
  return { batches: landings.rows.length, ...row, landings: landings.rows };
}

/**
 * Whether nothing of the session moves any more: no run in progress, no call waiting to be handed over or to start
 * (open layers aside: work given up leaves one open).
 */
export function isQuiet(progress: SessionProgress): boolean {
  return progress.running === 0 && progress.undelivered === 0 && progress.unstarted === 0;
}

/** Where the work of one batch stands, for a command that started or re-ran some of it at `since`. */
export interface BatchWork {
  /** Landing and entity runs of the batch still `running`. */
  readonly running: number;
  /** Chained calls of the batch not yet handed to the gateway, or handed over but not started. */
  readonly waiting: number;
  /** Layer runs of the batch waiting for entities. */
  readonly open_layers: number;
  /** Landing and entity runs of the batch that started at or after `since` and have finished, and how many failed. */
  readonly finished_since: number;
  readonly failed_since: number;
}

/** Reads how far the work on one batch is, counting what started at or after `since`. */
export async function readBatchWork(db: Db, batchId: string, since: Date): Promise<BatchWork> {
  const result = await query<BatchWork>(
    db,
    'read batch work',
    `with runs as (
       select status, started_at from audit.system_run where batch_id = $1 and duplicate_of_run_id is null
       union all
       select status, started_at from audit.entity_layer_run where batch_id = $1 and duplicate_of_run_id is null
     )
     select (select count(*) from runs where status = 'running')::int as running,
            (select count(*) from audit.outbox
              where batch_id = $1
                and (delivered_at is null
                     or (delivered_call_id is not null
                         and not exists (select 1 from audit.system_run run where run.call_id = outbox.delivered_call_id)
                         and not exists (select 1 from audit.entity_layer_run run where run.call_id = outbox.delivered_call_id)
                         and not exists (select 1 from audit.action_run run where run.call_id = outbox.delivered_call_id))))::int
              as waiting,
            (select count(*) from audit.system_layer_run where batch_id = $1 and finished_at is null)::int as open_layers,
            (select count(*) from runs where started_at >= $2 and status <> 'running')::int as finished_since,
            (select count(*) from runs where started_at >= $2 and status = 'failed')::int as failed_since`,
    [batchId, since],
  );
  return result.rows[0] ?? { running: 0, waiting: 0, open_layers: 0, finished_since: 0, failed_since: 0 };
}
