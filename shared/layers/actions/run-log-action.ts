/**
 * The `log` action (actions.json `type: "log"`): writes a platform event as one log line, so
 * `faas-cli logs action-log` (or any log shipper) shows what the platform did without reading the audit tables.
 */
import type { Db } from '../../adapters/postgres/transaction.ts';
import type { Logger } from '../../log.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { ActionRequest, ActionTrigger } from '../../runtime/payloads.ts';
import { claimActionRun } from '../../runs/action-runs.ts';
import { findAction, type ActionOf } from './run-action.ts';

/** A log action's record in actions.json. */
export type LogAction = ActionOf<'log'>;

/** What the log action needs: the audit database, the active actions, the call's logger and id. */
export interface LogActionDeps {
  readonly db: Db;
  readonly metadata: Pick<MetadataSet, 'actions'>;
  readonly log: Logger;
  readonly callId: string | undefined;
}

/**
 * Runs a log action for one event: finds the action (unknown → 404, another type → 400, disabled → skipped),
 * claims the event in `audit.action_run` (an event delivered again → skipped, nothing logged twice), then writes
 * the line at the action's level with the action's message and the event's facts as fields.
 *
 * @example
 * await runLogAction({ action_id: 'log_failed_entity_runs', event }, { db: pool, metadata, log, callId });
 * // {"level":"error","msg":"entity layer run failed","event":"entity-layer-processed","layer":"bronze",…}
 */
export async function runLogAction(request: ActionRequest, deps: LogActionDeps): Promise<Outcome> {
  const action = findAction(deps.metadata, request.action_id, 'log');
  if (!action.enabled) return { status: 'skipped', reason: 'action disabled', action_id: action.id };
  const claim = await claimActionRun(deps.db, {
    action,
    event: request.event,
    call_id: deps.callId,
    parent_call_id: request.parent_call_id,
    status: 'succeeded',
  });
  if (!claim.claimed) {
    return { status: 'skipped', reason: 'already_logged', action_id: action.id, duplicate_of_run_id: claim.existing.run_id };
  }
  writeEventLine(deps.log, action.settings, request.event);
  return { status: 'succeeded', action_id: action.id, run_id: claim.run.run_id };
}

/**
 * The line itself: the action's fixed message at its level, the event's facts as fields (validated scalars and
 * counts; never the raw body).
 */
export function writeEventLine(log: Logger, settings: LogAction['settings'], event: ActionTrigger): void {
  const common = { event: event.event, batch_id: event.batch_id, batch_timestamp: event.batch_timestamp, event_status: event.status, event_run_id: event.run_id };
  if (event.event === 'action-schedule-fired') {
    log[settings.level]({ ...common, schedule: event.schedule, fired_at: event.fired_at }, settings.message);
    return;
  }
  const facts = {
    ...common,
    layer: event.layer,
    system_id: event.system_id,
    ...(event.event === 'entity-layer-processed' ? { entity_id: event.entity_id, error: event.error } : {}),
    finished_at: event.finished_at,
    counts: event.counts,
  };
  log[settings.level](facts, settings.message);
}
