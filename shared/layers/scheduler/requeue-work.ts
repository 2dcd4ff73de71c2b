import type pg from 'pg';
import { query, withTransaction, type Transaction } from '../../adapters/postgres/transaction.ts';
import { retryDelaySeconds } from '../../core/retry-backoff.ts';
import type { Layer } from '../../core/run-status.ts';
import type { Logger } from '../../log.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { actionFunction } from '../../runtime/payloads.ts';
import { announceCalls, type ChainedCall } from '../chaining/announce-calls.ts';
import { callForWork } from '../chaining/work-call.ts';

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

/** A run the tick re-queued. */
export interface RequeuedRun {
  readonly run_id: string;
  readonly reason: 'failed' | 'stale';
  readonly target_function: string;
  readonly batch_id: string;
  readonly system_id: string;
  readonly entity_id: string | null;
  /** The attempt number the re-queued call will get. */
  readonly attempt: number;
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
export async function findRequeueCandidates(db: pg.Pool | Transaction, policy: RequeuePolicy): Promise<RequeueCandidate[]> {
  const delays = Array.from({ length: policy.maxAttempts }, (_, index) => retryDelaySeconds(index + 1, policy.baseDelaySeconds));
  const parameters = [policy.maxAttempts, delays, policy.horizonSeconds, policy.maxPerTick];
  const runs = await query<RequeueCandidate>(db, 'find work to re-queue', SELECT_CANDIDATES, parameters);
  const actions = await query<RequeueCandidate>(db, 'find action attempts to re-queue', SELECT_ACTION_CANDIDATES, parameters);
  return [...runs.rows, ...actions.rows].slice(0, policy.maxPerTick);
}

/**
 * Re-queues failed work with retries left and work whose call died (`running` past its timeout): one outbox message
 * per run, to the function that does that work (an action attempt: its call again), with `force: false`, so run
 * control takes the stale run over or starts the failed work as its next attempt (and skips it if it succeeded meanwhile). Each re-queue is recorded in
 * `audit.requeued_run` in the message's transaction, once per run, so overlapping ticks re-queue a run once and
 * the attempts stay bounded (`maxAttempts`, counted by the run rows themselves).
 */
export async function requeueWork(
  pool: pg.Pool,
  metadata: Pick<MetadataSet, 'systems' | 'entities' | 'actions'>,
  options: { readonly callId: string | undefined; readonly log: Logger; readonly policy?: RequeuePolicy },
): Promise<RequeuedRun[]> {
  const policy = options.policy ?? DEFAULT_REQUEUE_POLICY;
  const requeued: RequeuedRun[] = [];
  for (const candidate of await findRequeueCandidates(pool, policy)) {
    const log = options.log.child({ run_id: candidate.run_id, batch_id: candidate.batch_id, system_id: candidate.system_id });
    const call = candidate.level === 'action' ? actionCall(candidate, metadata) : callForWork({ ...candidate, level: candidate.level }, metadata, { force: false });
    const decision = await withTransaction(pool, async (tx): Promise<'requeued' | 'not_requeued' | 'already_handled'> => {
      const isSkip = 'skip' in call;
      const recorded = await query(
        tx,
        'record re-queued run',
        `insert into audit.requeued_run (
           run_id, level, batch_id, batch_timestamp, system_id, layer, entity_id, reason, attempt, decision, note,
           target_function, call_id
         )
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (run_id) do nothing`,
        [
          candidate.run_id, candidate.level, candidate.batch_id, candidate.batch_timestamp, candidate.system_id,
          candidate.layer, candidate.entity_id, candidate.reason, candidate.attempt + 1,
          isSkip ? 'not_requeued' : 'requeued', isSkip ? call.skip : null, isSkip ? null : call.function,
          options.callId ?? null,
        ],
      );
      if (recorded.rowCount !== 1) return 'already_handled'; // another tick took this run
      if (isSkip) return 'not_requeued';
      const [message] = await announceCalls(
        tx,
        { batch_id: candidate.batch_id, batch_timestamp: candidate.batch_timestamp, call_id: options.callId },
        [call],
      );
      await query(tx, 'link re-queued run to its call', 'update audit.requeued_run set outbox_id = $2 where run_id = $1', [
        candidate.run_id, message?.id,
      ]);
      return 'requeued';
    });
    if ('skip' in call) {
      if (decision === 'not_requeued') log.warn({ reason: call.skip }, 'failed work not re-queued');
      continue;
    }
    if (decision !== 'requeued') continue;
    log.info({ reason: candidate.reason, target_function: call.function, attempt: candidate.attempt + 1 }, 'work re-queued');
    requeued.push({
      run_id: candidate.run_id,
      reason: candidate.reason,
      target_function: call.function,
      batch_id: candidate.batch_id,
      system_id: candidate.system_id,
      entity_id: candidate.entity_id,
      attempt: candidate.attempt + 1,
    });
  }
  return requeued;
}

/** An action attempt's call again, unless the action is gone or off (the event happened, whatever its system is now). */
function actionCall(candidate: RequeueCandidate, metadata: Pick<MetadataSet, 'actions'>): ChainedCall | { skip: string } {
  const action = metadata.actions.find((each) => each.id === candidate.action_id);
  if (!action?.enabled || candidate.request === undefined) return { skip: `action ${candidate.action_id ?? '?'} is unknown or disabled` };
  return { function: actionFunction(action.type), payload: candidate.request };
}
