/**
 * `audit.requeued_run`: the scheduler's record of work it re-queued (or chose not to), once per failed or stale
 * run, and the query that finds that work. Re-queueing itself (which call, through the outbox) is the scheduler's.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';
import { retryDelaySeconds } from '../core/retry-backoff.ts';
import type { Layer } from '../core/run-status.ts';
import { insertAuditRow } from './insert-audit-row.ts';

/** How re-queueing is bounded. */
export interface RequeuePolicy {
  /** Attempts per piece of work, the first included: a run with this attempt number is not re-queued. Default 3. */
  readonly maxAttempts: number;
  /** The wait after a failed attempt n is `retryDelaySeconds(n, baseDelaySeconds)`: 60 s, 2 min… Default 60. */
  readonly baseDelaySeconds: number;
  /** Failures older than this are left alone (a new scheduler does not retry last year's). Default 24 h. */
  readonly horizonSeconds: number;
  /** Runs re-queued per tick at most. Default 50. */
  readonly maxPerTick: number;
}

export const DEFAULT_REQUEUE_POLICY: RequeuePolicy = {
  maxAttempts: 3,
  baseDelaySeconds: 60,
  horizonSeconds: 24 * 3600,
  maxPerTick: 50,
};

/** A failed or stale run whose work may run again: a landing, an entity's layer run, or an action's attempt. */
export interface RequeueCandidate {
  readonly level: 'system' | 'entity' | 'action';
  readonly run_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly layer: Layer | null;
  readonly entity_id: string | null;
  readonly attempt: number;
  readonly reason: 'failed' | 'stale';
  /** An action attempt's action, and the call that made it (sent again as it was). */
  readonly action_id?: string;
  readonly request?: Readonly<Record<string, unknown>>;
}

/**
 * The latest run of each piece of work (a batch's landing; an entity's batch in a layer) that failed, past its
 * backoff, or is `running` past its timeout (its call died), with attempts left and not re-queued yet. A failed
 * landing is left alone once a newer batch of its system has started: the newer batch supersedes it.
 * `$1` attempts at most, `$2` the delay after attempt n as `($2)[n]`, `$3` the horizon, `$4` the limit.
 */
const SELECT_CANDIDATES = `
  with failed_or_stale as (
    select 'system' as level, run.run_id, run.batch_id, run.batch_timestamp, run.system_id,
           null as layer, null as entity_id, run.attempt, run.status, run.started_at, run.finished_at,
           run.timeout_seconds
      from audit.system_run as run
     where run.duplicate_of_run_id is null
       and ((run.status = 'failed' and run.finished_at > now() - make_interval(secs => $3))
            or (run.status = 'running' and run.started_at + make_interval(secs => run.timeout_seconds) < now()))
       and not exists (
             select 1
               from audit.system_run as later
              where later.system_id = run.system_id
                and later.duplicate_of_run_id is null
                and later.run_id <> run.run_id
                and (later.batch_id = run.batch_id and later.started_at > run.started_at
                     or later.batch_timestamp > run.batch_timestamp))
    union all
    select 'entity', run.run_id, run.batch_id, run.batch_timestamp, run.system_id,
           run.layer, run.entity_id, run.attempt, run.status, run.started_at, run.finished_at,
           run.timeout_seconds
      from audit.entity_layer_run as run
     where run.duplicate_of_run_id is null
       and ((run.status = 'failed' and run.finished_at > now() - make_interval(secs => $3))
            or (run.status = 'running' and run.started_at + make_interval(secs => run.timeout_seconds) < now()))
       and not exists (
             select 1
               from audit.entity_layer_run as later
              where later.batch_id = run.batch_id
                and later.layer = run.layer
                and later.entity_id = run.entity_id
                and later.duplicate_of_run_id is null
                and later.run_id <> run.run_id
                and later.started_at > run.started_at)
  )
  select level, run_id, batch_id, batch_timestamp, system_id, layer, entity_id, attempt,
         case when status = 'failed' then 'failed' else 'stale' end as reason
    from failed_or_stale as candidate
   where attempt < $1
     and (status = 'running' or finished_at + make_interval(secs => ($2::int[])[attempt]) <= now())
     and not exists (select 1 from audit.requeued_run as done where done.run_id = candidate.run_id)
   order by coalesce(finished_at, started_at), run_id
   limit $4`;

/**
 * The latest attempt of each action at an event (migrations/0007) that failed, past its backoff, or is `running` past
 * its timeout, with attempts left and not re-queued yet; only attempts that kept their call (`request`). The
 * parameters are those of `SELECT_CANDIDATES`.
 */
const SELECT_ACTION_CANDIDATES = `
  select 'action' as level, run.run_id, run.batch_id, run.batch_timestamp, run.system_id, run.layer, run.entity_id,
         run.attempt, run.action_id, run.request,
         case when run.status = 'failed' then 'failed' else 'stale' end as reason
    from audit.action_run as run
   where run.request is not null
     and run.attempt < $1
     and ((run.status = 'failed'
           and run.finished_at > now() - make_interval(secs => $3)
           and run.finished_at + make_interval(secs => ($2::int[])[run.attempt]) <= now())
          or (run.status = 'running' and run.started_at + make_interval(secs => run.timeout_seconds) < now()))
     and not exists (
           select 1
             from audit.action_run as later
            where later.action_id = run.action_id
              and later.event = run.event
              and later.event_run_id = run.event_run_id
              and later.attempt > run.attempt)
     and not exists (select 1 from audit.requeued_run as done where done.run_id = run.run_id)
   order by coalesce(run.finished_at, run.started_at), run.run_id
   limit $4`;

/** The failed and stale runs (landings, entity layer runs, action attempts) that may be re-queued now. */
export async function findRequeueCandidates(db: Db, policy: RequeuePolicy): Promise<RequeueCandidate[]> {
  const delays = Array.from({ length: policy.maxAttempts }, (_, index) => retryDelaySeconds(index + 1, policy.baseDelaySeconds));
  const parameters = [policy.maxAttempts, delays, policy.horizonSeconds, policy.maxPerTick];
  const runs = await query<RequeueCandidate>(db, 'find work to re-queue', SELECT_CANDIDATES, parameters);
  const actions = await query<RequeueCandidate>(db, 'find action attempts to re-queue', SELECT_ACTION_CANDIDATES, parameters);
  return [...runs.rows, ...actions.rows].slice(0, policy.maxPerTick);
}

/** What a tick decided about one candidate, as `audit.requeued_run` records it. */
export interface RequeueRecord {
  readonly run_id: string;
  readonly level: RequeueCandidate['level'];
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly layer: Layer | null;
  readonly entity_id: string | null;
  readonly reason: RequeueCandidate['reason'];
  /** The attempt number the re-queued call will get. */
  readonly attempt: number;
  readonly decision: 'requeued' | 'not_requeued';
  /** Why the work is not re-queued. */
  readonly note: string | null;
  readonly target_function: string | null;
  readonly call_id: string | null;
}

/**
 * Records a tick's decision on a run, once per run: false when another tick recorded it first (it handles the
 * run). Run it in the transaction that writes the re-queued call, so the record and the call commit together.
 */
export async function recordRequeue(db: Db, record: RequeueRecord): Promise<boolean> {
  const recorded = await insertAuditRow(db, 'record re-queued run', 'requeued_run', { ...record }, {
    onConflict: 'on conflict (run_id) do nothing',
    returning: 'run_id',
  });
  return recorded !== undefined;
}

/** Links a re-queued run to the outbox message that carries its call. */
export async function linkRequeuedRun(db: Db, runId: string, outboxId: string | undefined): Promise<void> {
  await query(db, 'link re-queued run to its call', 'update audit.requeued_run set outbox_id = $2 where run_id = $1', [runId, outboxId]);
}
