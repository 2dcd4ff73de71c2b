/**
 * Scheduled actions (actions.json `schedule`): each tick starts the enabled actions whose schedule fired since their
 * last start, with the rules systems follow (start-due-systems.ts): overlapping ticks start a firing once, a late
 * tick starts the latest missed firing once, a newly scheduled action starts at its next firing. The action gets an
 * `action-schedule-fired` event through the outbox, named by a new id, so a call delivered twice runs once.
 */
import type pg from 'pg';
import { query, withTransaction, type Db } from '../../adapters/postgres/transaction.ts';
import { dueSince } from '../../core/cron-due.ts';
import type { Logger } from '../../log.ts';
import type { Action } from '../../metadata/action-schema.ts';
import { newBatchId } from '../../runs/ids.ts';
import { actionFunction, type ActionScheduleFiredEvent } from '../../runtime/payloads.ts';
import { announceCalls } from '../chaining/announce-calls.ts';

/** An action the tick started: which firing, under which id, through which function. */
export interface StartedAction {
  readonly action_id: string;
  readonly fired_at: string;
  readonly run_id: string;
  readonly function: string;
}

/** What one pass over the scheduled actions did; an action that failed is tried again at the next tick. */
export interface ActionStartReport {
  readonly started: StartedAction[];
  readonly failures: Array<{ readonly action_id: string; readonly error: unknown }>;
}

interface ActionSchedule {
  readonly fire_after: Date;
}

/** Starts every enabled action whose `schedule` (in its `timezone`) fired since its last start. */
export async function startDueActions(
  pool: pg.Pool,
  actions: readonly Action[],
  options: { readonly now: Date; readonly callId: string | undefined; readonly log: Logger; readonly firstLookbackSeconds?: number },
): Promise<ActionStartReport> {
  const watchFrom = new Date(options.now.getTime() - (options.firstLookbackSeconds ?? 60) * 1000);
  const report: ActionStartReport = { started: [], failures: [] };
  for (const action of actions) {
    if (!action.enabled || action.schedule === undefined) continue;
    try {
      const started = await startIfDue(pool, { ...action, schedule: action.schedule }, watchFrom, options);
      if (started) report.started.push(started);
    } catch (error) {
      options.log.error({ err: error, action_id: action.id }, 'scheduled action could not be started');
      report.failures.push({ action_id: action.id, error });
    }
  }
  return report;
}

async function startIfDue(
  pool: pg.Pool,
  action: Action & { readonly schedule: string },
  watchFrom: Date,
  options: { readonly now: Date; readonly callId: string | undefined; readonly log: Logger },
): Promise<StartedAction | undefined> {
  let row = await readOrCreateSchedule(pool, action, watchFrom);
  for (let round = 0; round < 3; round += 1) {
    const due = dueSince(action.schedule, action.timezone, row.fire_after, options.now);
    if (due === undefined) return undefined;
    const runId = newBatchId();
    const fired: ActionScheduleFiredEvent = {
      event: 'action-schedule-fired',
      schedule: action.schedule,
      timezone: action.timezone,
      status: 'fired',
      run_id: runId,
      batch_id: runId,
      batch_timestamp: due.toISOString(),
      fired_at: due.toISOString(),
    };
    const target = actionFunction(action.type);
    const claimed = await withTransaction(pool, async (tx) => {
      const claim = await query(
        tx,
        'claim scheduled action firing',
        `update audit.action_schedule
            set fire_after = $3, last_fired_at = $3, last_started_at = $4, last_run_id = $5, last_call_id = $6,
                schedule = $7, timezone = $8, updated_at = now()
          where action_id = $1
            and fire_after = $2`,
        [action.id, row.fire_after, due, options.now, fired.run_id, options.callId ?? null, action.schedule, action.timezone],
      );
      if (claim.rowCount !== 1) return false;
      await announceCalls(tx, { batch_id: fired.batch_id, batch_timestamp: due, call_id: options.callId }, [
        { function: target, payload: { action_id: action.id, event: fired } },
      ]);
      return true;
    });
    if (claimed) {
      options.log.info({ action_id: action.id, fired_at: fired.fired_at, run_id: fired.run_id, function: target }, 'scheduled action started');
      return { action_id: action.id, fired_at: fired.fired_at, run_id: fired.run_id, function: target };
    }
    // Another tick moved the schedule between our read and our claim: read its result and look again.
    row = await readOrCreateSchedule(pool, action, watchFrom);
  }
  return undefined;
}

/** The schedule row of an action, created on first sight with `fire_after = watchFrom` (no firing of its past). */
async function readOrCreateSchedule(db: Db, action: Action & { readonly schedule: string }, watchFrom: Date): Promise<ActionSchedule> {
  await query(
    db,
    'create action schedule',
    `insert into audit.action_schedule (action_id, schedule, timezone, fire_after)
     values ($1, $2, $3, $4)
     on conflict (action_id) do nothing`,
    [action.id, action.schedule, action.timezone, watchFrom],
  );
  const read = await query<ActionSchedule>(db, 'read action schedule', 'select fire_after from audit.action_schedule where action_id = $1', [action.id]);
  return read.rows[0] as ActionSchedule;
}
