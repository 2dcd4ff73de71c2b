/**
 * Scheduled actions (actions.json `schedule`): each tick starts the enabled actions whose schedule fired since their
 * last start, with the rules systems follow (start-due-systems.ts): overlapping ticks start a firing once, a late
 * tick starts the latest missed firing once, a newly scheduled action starts at its next firing. The action gets an
 * `action-schedule-fired` event through the outbox, named by a new id, so a call delivered twice runs once.
 */
import type { Pool } from '../../adapters/postgres/pool.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import { dueSince } from '../../core/cron-due.ts';
import type { Logger } from '../../log.ts';
import type { Action } from '../../metadata/action-schema.ts';
import { claimActionFiring, readOrCreateActionSchedule } from '../../runs/action-schedules.ts';
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

/** Starts every enabled action whose `schedule` (in its `timezone`) fired since its last start. */
export async function startDueActions(
  pool: Pool,
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
  pool: Pool,
  action: Action & { readonly schedule: string },
  watchFrom: Date,
  options: { readonly now: Date; readonly callId: string | undefined; readonly log: Logger },
): Promise<StartedAction | undefined> {
  let row = await readOrCreateActionSchedule(pool, action, watchFrom);
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
      const isClaimed = await claimActionFiring(tx, {
        action_id: action.id,
        fire_after: row.fire_after,
        fired_at: due,
        started_at: options.now,
        run_id: fired.run_id,
        call_id: options.callId,
        schedule: action.schedule,
        timezone: action.timezone,
      });
      if (!isClaimed) return false;
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
    row = await readOrCreateActionSchedule(pool, action, watchFrom);
  }
  return undefined;
}
