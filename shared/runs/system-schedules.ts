import { query, type Db } from '../adapters/postgres/transaction.ts';
import { insertAuditRow } from './insert-audit-row.ts';

/** A row of `audit.system_schedule`: the scheduler's memory of one scheduled system. */
export interface SystemSchedule {
  readonly system_id: string;
  readonly schedule: string;
  readonly timezone: string;
  /** Firings after this moment are still to start; it moves to each firing the scheduler starts. */
  readonly fire_after: Date;
  readonly last_fired_at: Date | null;
  readonly last_started_at: Date | null;
  readonly last_batch_id: string | null;
  readonly last_call_id: string | null;
}

/** What a tick claims: the firing it starts, the batch it starts it as, and the call that starts it. */
export interface ScheduleClaim {
  readonly system_id: string;
  readonly schedule: string;
  readonly timezone: string;
  /** `fire_after` as the tick read it: the claim holds only if no other tick moved it since. */
  readonly previous_fire_after: Date;
  readonly fired_at: Date;
  readonly started_at: Date;
  readonly batch_id: string;
  readonly call_id: string | null;
}

/**
 * The schedule row of a system, created on first sight with `fire_after = watchFrom` (a firing before it is never
 * started: a newly scheduled system does not fire for its past). Concurrent first sights create one row.
 */
export async function readOrCreateSchedule(
  db: Db,
  system: { readonly id: string; readonly schedule: string; readonly timezone: string },
  watchFrom: Date,
): Promise<SystemSchedule> {
  await insertAuditRow(
    db,
    'create system schedule',
    'system_schedule',
    { system_id: system.id, schedule: system.schedule, timezone: system.timezone, fire_after: watchFrom },
    { onConflict: 'on conflict (system_id) do nothing' },
  );
  const read = await query<SystemSchedule>(db, 'read system schedule', 'select * from audit.system_schedule where system_id = $1', [system.id]);
  return read.rows[0] as SystemSchedule;
}

/**
 * Claims a firing: moves `fire_after` to it, provided no other tick moved it since this one read it. Returns the
 * updated row, or undefined when another tick won (it then started this firing or a later one). Run it in the
 * transaction that writes the start to the outbox: the claim and the call commit together.
 */
export async function claimFiring(db: Db, claim: ScheduleClaim): Promise<SystemSchedule | undefined> {
  const result = await query<SystemSchedule>(
    db,
    'claim scheduled firing',
    `update audit.system_schedule
        set fire_after = $3,
            last_fired_at = $3,
            last_started_at = $4,
            last_batch_id = $5,
            last_call_id = $6,
            schedule = $7,
            timezone = $8,
            updated_at = now()
      where system_id = $1
        and fire_after = $2
      returning *`,
    [
      claim.system_id, claim.previous_fire_after, claim.fired_at, claim.started_at, claim.batch_id, claim.call_id,
      claim.schedule, claim.timezone,
    ],
  );
  return result.rows[0];
}
