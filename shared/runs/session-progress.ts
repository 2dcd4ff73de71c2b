/**
 * Where work stands, read from the audit schema: a local session's (every batch whose landing started since the
 * session began: the one `npm start` invoked, and any the scheduler started), one batch's (what the CLI follows),
 * and what became of the calls a command announced.
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

/** Where the work of one batch stands. */
export interface BatchWork {
  /** Landing and entity runs of the batch still `running`. */
  readonly running: number;
  /** Chained calls of the batch not yet handed to the gateway, or handed over but not started. */
  readonly waiting: number;
  /** Layer runs of the batch waiting for entities. */
  readonly open_layers: number;
}

/** Reads how far the work on one batch is. */
export async function readBatchWork(db: Db, batchId: string): Promise<BatchWork> {
  const result = await query<BatchWork>(
    db,
    'read batch work',
    `select (select count(*) from audit.system_run where batch_id = $1 and status = 'running')::int
          + (select count(*) from audit.entity_layer_run where batch_id = $1 and status = 'running')::int as running,
            (select count(*) from audit.outbox
              where batch_id = $1
                and (delivered_at is null
                     or (delivered_call_id is not null
                         and not exists (select 1 from audit.system_run run where run.call_id = outbox.delivered_call_id)
                         and not exists (select 1 from audit.entity_layer_run run where run.call_id = outbox.delivered_call_id)
                         and not exists (select 1 from audit.action_run run where run.call_id = outbox.delivered_call_id))))::int
              as waiting,
            (select count(*) from audit.system_layer_run where batch_id = $1 and finished_at is null)::int as open_layers`,
    [batchId],
  );
  return result.rows[0] ?? { running: 0, waiting: 0, open_layers: 0 };
}

/**
 * Whether a batch's work has settled: nothing running, no call waiting to be handed over or to start (open layers
 * aside, as for a session: work given up leaves one open, and the report says so).
 */
export function isSettled(work: BatchWork): boolean {
  return work.running === 0 && work.waiting === 0;
}

/** What became of a call announced through the outbox: delivered or not, and the run it started. */
export interface CallOutcome {
  readonly outbox_id: string;
  readonly target_function: string;
  readonly delivered_at: Date | null;
  readonly delivered_call_id: string | null;
  /** Why the last delivery failed (it is tried again), while undelivered. */
  readonly last_error: string | null;
  /** The run the delivered call recorded (a skipped duplicate included), once it started. */
  readonly run_status: string | null;
  readonly skip_reason: string | null;
  readonly error: string | null;
}

/** Reads what became of the outbox messages `outboxIds`, in that order. */
export async function readCallOutcomes(db: Db, outboxIds: readonly string[]): Promise<CallOutcome[]> {
  const result = await query<CallOutcome>(
    db,
    'read call outcomes',
    `select outbox.id as outbox_id, outbox.target_function, outbox.delivered_at, outbox.delivered_call_id,
            outbox.last_error, run.status as run_status, run.skip_reason, run.error
       from audit.outbox
       left join lateral (
              select status, skip_reason, error, started_at from audit.system_run where call_id = outbox.delivered_call_id
              union all
              select status, skip_reason, error, started_at from audit.entity_layer_run where call_id = outbox.delivered_call_id
              order by started_at desc
              limit 1
            ) as run on true
      where outbox.id = any($1::uuid[])
      order by array_position($1::uuid[], outbox.id)`,
    [outboxIds],
  );
  return result.rows;
}
