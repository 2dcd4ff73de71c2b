/**
 * `audit.action_run`: what actions did, one row per attempt of an action at a platform event (migrations/0003 and
 * 0007). The row is the attempt's claim on its event: an event that reaches the action again while an attempt runs
 * or after one succeeded finds that row and is skipped; after a failed attempt it makes the next one.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';
import type { Action } from '../metadata/action-schema.ts';
import { clipError } from './run-types.ts';
import { newRunId } from './ids.ts';
import { namedParameters } from './insert-audit-row.ts';
import type { ActionRequest, ActionTrigger } from '../runtime/payloads.ts';

/** The statuses of an action run: claimed (`running`), then one final status (`skipped`: nothing to do, with why). */
export type ActionRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

/** A row of `audit.action_run`: one attempt of an action at one event. */
export interface ActionRun {
  readonly run_id: string;
  readonly action_id: string;
  readonly action_type: string;
  readonly event: string;
  readonly event_run_id: string;
  readonly event_status: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  /** The event's system and layer; null for a schedule's firing. */
  readonly system_id: string | null;
  readonly layer: string | null;
  readonly entity_id: string | null;
  readonly call_id: string | null;
  readonly parent_call_id: string | null;
  readonly status: ActionRunStatus;
  readonly error: string | null;
  /** Why an attempt found nothing to do (`skipped`). */
  readonly skip_reason: string | null;
  readonly started_at: Date;
  readonly finished_at: Date | null;
  /** 1 for the first attempt at the event; a re-queue or a second delivery after a failure makes the next. */
  readonly attempt: number;
  /** After this long `running`, the attempt counts as dead: the scheduler re-queues it, a new call takes over. */
  readonly timeout_seconds: number;
  /** The call (`{action_id, event}`) as it was made: what a re-queue sends again. */
  readonly request: unknown;
}

/** What claims an event for an action. */
export interface ClaimActionRunInput {
  readonly action: Pick<Action, 'id' | 'type'>;
  readonly event: ActionTrigger;
  readonly call_id: string | undefined;
  readonly parent_call_id: string | undefined;
  /**
   * `succeeded` for an action whose whole work is the claim and what follows it without fail (writing a log
   * line); `running` for one that still has work that may fail (an email), finished with `finishActionRun`.
   */
  readonly status: 'running' | 'succeeded';
  /** How long a `running` attempt may take before it counts as dead (default 60 s): the function's exec_timeout, and some. */
  readonly timeout_seconds?: number;
  /** The call to keep for a re-queue (`{action_id, event, parent_call_id?}`). */
  readonly request?: ActionRequest;
}

/** The claim's answer: this call owns the event (`claimed`), or an earlier call does (`existing`: running, succeeded or skipped). */
export type ActionRunClaim =
  | { readonly claimed: true; readonly run: ActionRun }
  | { readonly claimed: false; readonly existing: ActionRun };

/** A claim can lose to a concurrent one between its statements; after this many rounds something is wrong. */
const MAX_CLAIM_ROUNDS = 3;

/**
 * Claims `event` for `action`: inserts the next attempt unless an attempt is running or succeeded (the partial
 * unique index `action_run_live_key`), so of two deliveries of one event — even at the same time — exactly one gets
 * `claimed: true`. An attempt `running` past its `timeout_seconds` died with its call: it is marked failed and this
 * call takes the event over as the next attempt. A failed attempt leaves the event free for the next one.
 */
export async function claimActionRun(db: Db, input: ClaimActionRunInput): Promise<ActionRunClaim> {
  const { event } = input;
  const key = [input.action.id, event.event, event.run_id];
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
    const { at, values } = namedParameters({
      run_id: newRunId(),
      action_id: input.action.id,
      action_type: input.action.type,
      event: event.event,
      event_run_id: event.run_id,
      event_status: event.status,
      batch_id: event.batch_id,
      batch_timestamp: new Date(event.batch_timestamp),
      system_id: event.event === 'action-schedule-fired' ? null : event.system_id,
      layer: event.event === 'action-schedule-fired' ? null : event.layer,
      entity_id: event.event === 'entity-layer-processed' ? event.entity_id : null,
      call_id: input.call_id ?? null,
      parent_call_id: input.parent_call_id ?? null,
      status: input.status,
      timeout_seconds: input.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
      request: input.request === undefined ? null : JSON.stringify(input.request),
    });
    const inserted = await query<ActionRun>(
      db,
      'claim action run',
      `insert into audit.action_run (
         run_id, action_id, action_type, event, event_run_id, event_status, batch_id, batch_timestamp,
         system_id, layer, entity_id, call_id, parent_call_id, status, finished_at, attempt, timeout_seconds, request
       )
       select ${at.run_id}, ${at.action_id}, ${at.action_type}, ${at.event}, ${at.event_run_id}, ${at.event_status},
              ${at.batch_id}, ${at.batch_timestamp}, ${at.system_id}, ${at.layer}, ${at.entity_id}, ${at.call_id},
              ${at.parent_call_id}, ${at.status},
              case when ${at.status} = 'running' then null else now() end,
              coalesce(max(earlier.attempt), 0) + 1, ${at.timeout_seconds}, ${at.request}
         from audit.action_run as earlier
        where earlier.action_id = ${at.action_id}
          and earlier.event = ${at.event}
          and earlier.event_run_id = ${at.event_run_id}
       on conflict (action_id, event, event_run_id) where status <> 'failed' do nothing
       returning *`,
      values,
    );
    const run = inserted.rows[0];
    if (run) return { claimed: true, run };
    const takenOver = await query(
      db,
      'fail dead action run',
      `update audit.action_run
          set status = 'failed',
              error = 'its call ended without finishing it (running past its timeout); taken over by the next attempt',
              finished_at = now()
        where action_id = $1
          and event = $2
          and event_run_id = $3
          and status = 'running'
          and started_at + make_interval(secs => timeout_seconds) < now()`,
      key,
    );
    if (takenOver.rowCount === 1) continue;
    const existing = await query<ActionRun>(
      db,
      'read claimed action run',
      `select *
         from audit.action_run
        where action_id = $1
          and event = $2
          and event_run_id = $3
          and status <> 'failed'`,
      key,
    );
    const found = existing.rows[0];
    if (found) return { claimed: false, existing: found };
    // The attempt that held the event failed between our statements: the event is free again.
  }
  throw new Error(`action ${input.action.id} could not claim ${event.event} ${event.run_id} in ${MAX_CLAIM_ROUNDS} rounds`);
}

const DEFAULT_TIMEOUT_SECONDS = 60;

/** Ends a claimed `running` action run; a run already final is left as it is (returns false). */
export async function finishActionRun(
  db: Db,
  runId: string,
  outcome: { readonly status: 'succeeded' | 'failed' | 'skipped'; readonly error?: string | null; readonly skip_reason?: string },
): Promise<boolean> {
  const updated = await query(
    db,
    'finish action run',
    `update audit.action_run
        set status = $2,
            error = $3,
            skip_reason = $4,
            finished_at = now()
      where run_id = $1
        and status = 'running'`,
    [runId, outcome.status, clipError(outcome.error), outcome.skip_reason ?? null],
  );
  return updated.rowCount === 1;
}

/** The latest action runs, newest first (the dashboard's "actions" list). */
export async function recentActionRuns(db: Db, options: { readonly limit?: number } = {}): Promise<ActionRun[]> {
  const result = await query<ActionRun>(
    db,
    'read recent action runs',
    `select *
       from audit.action_run
      order by started_at desc, run_id desc
      limit $1`,
    [options.limit ?? 20],
  );
  return result.rows;
}
