/**
 * `audit.action_schedule`: the scheduler's memory of one scheduled action (actions.json `schedule`), as
 * `system-schedules.ts` is for systems: the firing after which it starts again, and what its last start was.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';
import { insertAuditRow } from './insert-audit-row.ts';

/** What the scheduler reads of an action's schedule row. */
export interface ActionSchedule {
  readonly fire_after: Date;
}

/** The schedule row of an action, created on first sight with `fire_after = watchFrom` (no firing of its past). */
export async function readOrCreateActionSchedule(
  db: Db,
  action: { readonly id: string; readonly schedule: string; readonly timezone: string },
  watchFrom: Date,
): Promise<ActionSchedule> {
  await insertAuditRow(
    db,
    'create action schedule',
    'action_schedule',
    { action_id: action.id, schedule: action.schedule, timezone: action.timezone, fire_after: watchFrom },
    { onConflict: 'on conflict (action_id) do nothing' },
  );
  const read = await query<ActionSchedule>(db, 'read action schedule', 'select fire_after from audit.action_schedule where action_id = $1', [action.id]);
  return read.rows[0] as ActionSchedule;
}

/** A firing of an action's schedule that a tick claims: the row's `fire_after` as read, and the start it makes. */
export interface ActionFiringClaim {
  readonly action_id: string;
  readonly fire_after: Date;
  readonly fired_at: Date;
  readonly started_at: Date;
  readonly run_id: string;
  readonly call_id: string | undefined;
  readonly schedule: string;
  readonly timezone: string;
}

/**
 * Claims a firing: moves `fire_after` to it, provided no other tick moved it since this one read it. False when
 * another tick won. Run it in the transaction that writes the start to the outbox: the claim and the call commit
 * together.
 */
export async function claimActionFiring(db: Db, claim: ActionFiringClaim): Promise<boolean> {
  const result = await query(
    db,
    'claim scheduled action firing',
    `update audit.action_schedule
        set fire_after = $3, last_fired_at = $3, last_started_at = $4, last_run_id = $5, last_call_id = $6,
            schedule = $7, timezone = $8, updated_at = now()
      where action_id = $1
        and fire_after = $2`,
    [
      claim.action_id, claim.fire_after, claim.fired_at, claim.started_at, claim.run_id, claim.call_id ?? null,
      claim.schedule, claim.timezone,
    ],
  );
  return result.rowCount === 1;
}
