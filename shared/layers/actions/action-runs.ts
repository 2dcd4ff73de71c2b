/**
 * `audit.action_run`: what actions did, one row per action and platform event (migrations/0003_action_run.sql).
 * The row is the action's claim on its event: an event that reaches the action twice finds the row and is skipped.
 */
import { query, type Db } from '../../adapters/postgres/transaction.ts';
import type { Action } from '../../metadata/action-schema.ts';
import { clipError } from '../../runs/run-types.ts';
import { newRunId } from '../../runs/ids.ts';
import type { PlatformEventPayload } from '../../runtime/payloads.ts';

/** The statuses of an action run: claimed (`running`), then one final status. */
export type ActionRunStatus = 'running' | 'succeeded' | 'failed';

/** A row of `audit.action_run`. */
export interface ActionRun {
  readonly run_id: string;
  readonly action_id: string;
  readonly action_type: string;
  readonly event: string;
  readonly event_run_id: string;
  readonly event_status: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly layer: string;
  readonly entity_id: string | null;
  readonly call_id: string | null;
  readonly parent_call_id: string | null;
  readonly status: ActionRunStatus;
  readonly error: string | null;
  readonly started_at: Date;
  readonly finished_at: Date | null;
}

/** What claims an event for an action. */
export interface ClaimActionRunInput {
  readonly action: Pick<Action, 'id' | 'type'>;
  readonly event: PlatformEventPayload;
  readonly call_id: string | undefined;
  readonly parent_call_id: string | undefined;
  /**
   * `succeeded` for an action whose whole work is the claim and what follows it without fail (writing a log
   * line); `running` for one that still has work that may fail (a webhook), finished with `finishActionRun`.
   */
  readonly status: Exclude<ActionRunStatus, 'failed'>;
}

/** The claim's answer: this call owns the event (`claimed`), or an earlier call did (`existing`). */
export type ActionRunClaim =
  | { readonly claimed: true; readonly run: ActionRun }
  | { readonly claimed: false; readonly existing: ActionRun };

/**
 * Claims `event` for `action` in one statement: inserts the row unless the action already has one for the event
 * (`on conflict do nothing` on the unique key), so of two deliveries of one event — even at the same time —
 * exactly one gets `claimed: true`.
 */
export async function claimActionRun(db: Db, input: ClaimActionRunInput): Promise<ActionRunClaim> {
  const { event } = input;
  const inserted = await query<ActionRun>(
    db,
    'claim action run',
    `insert into audit.action_run (
       run_id, action_id, action_type, event, event_run_id, event_status, batch_id, batch_timestamp,
       system_id, layer, entity_id, call_id, parent_call_id, status, finished_at
     )
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
             case when $14 = 'running' then null else now() end)
     on conflict on constraint action_run_event_key do nothing
     returning *`,
    [
      newRunId(),
      input.action.id,
      input.action.type,
      event.event,
      event.run_id,
      event.status,
      event.batch_id,
      new Date(event.batch_timestamp),
      event.system_id,
      event.layer,
      event.event === 'entity-layer-processed' ? event.entity_id : null,
      input.call_id ?? null,
      input.parent_call_id ?? null,
      input.status,
    ],
  );
  const run = inserted.rows[0];
  if (run) return { claimed: true, run };
  const existing = await query<ActionRun>(
    db,
    'read claimed action run',
    `select *
       from audit.action_run
      where action_id = $1
        and event = $2
        and event_run_id = $3`,
    [input.action.id, event.event, event.run_id],
  );
  const found = existing.rows[0];
  // The unique key refused the insert, so the row exists: only a concurrent delete could hide it.
  if (!found) throw new Error(`action run of ${input.action.id} for ${event.event} ${event.run_id} vanished`);
  return { claimed: false, existing: found };
}

/** Ends a claimed `running` action run; a run already final is left as it is (returns false). */
export async function finishActionRun(
  db: Db,
  runId: string,
  outcome: { readonly status: 'succeeded' | 'failed'; readonly error?: string | null },
): Promise<boolean> {
  const updated = await query(
    db,
    'finish action run',
    `update audit.action_run
        set status = $2,
            error = $3,
            finished_at = now()
      where run_id = $1
        and status = 'running'`,
    [runId, outcome.status, clipError(outcome.error)],
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
