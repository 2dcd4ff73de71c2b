/**
 * The shape every action with outside work shares (email, webhook, training): find the action, claim the event as
 * an attempt in `audit.action_run`, resolve the action's secrets, do the work, record how it ended. An event
 * delivered twice is worked once; a failed attempt is recorded with its reason and answered `failed`, and the
 * scheduler re-queues it (docs/actions.md).
 */
import type { Db } from '../../adapters/postgres/transaction.ts';
import { InvalidPayloadError, isPlatformError, NotFoundError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Action, ActionType } from '../../metadata/action-schema.ts';
import type { MetadataLoader } from '../../metadata/metadata-loader.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import type { Resolved } from '../../secrets/secret-ref.ts';
import type { Outcome, OutcomeFacts } from '../../runtime/outcome.ts';
import type { ActionRequest } from '../../runtime/payloads.ts';
import { claimActionRun, finishActionRun, type ActionRun } from '../../runs/action-runs.ts';

/** What an action needs: the audit database, the active actions and a loader that resolves an action's secrets. */
export interface ActionDeps {
  readonly db: Db;
  readonly metadata: Pick<MetadataSet, 'actions'>;
  readonly loader: Pick<MetadataLoader, 'loadAction'>;
  readonly log: Logger;
  readonly callId: string | undefined;
}

/** The action of one type, as actions.json holds it. */
export type ActionOf<Type extends ActionType> = Extract<Action, { type: Type }>;

/** One action type's work. */
export interface ActionWork<Type extends ActionType> {
  readonly type: Type;
  /** How long an attempt may run before the scheduler counts it as dead: longer than the function's exec_timeout. */
  readonly timeoutSeconds: number;
  /**
   * Does the work for the claimed event, with the action's secrets resolved; resolves the facts to answer with, or
   * throws what went wrong (a platform error names what and where, never a secret: it becomes the run's `error`).
   */
  perform(action: Resolved<ActionOf<Type>>, run: ActionRun, log: Logger): Promise<OutcomeFacts>;
}

/**
 * The action named `id`, of the function's type; an unknown id is a 404, an action of another type a 400 (the call
 * went to the wrong function).
 */
export function findAction<Type extends ActionType>(metadata: Pick<MetadataSet, 'actions'>, id: string, type: Type): ActionOf<Type> {
  const action = metadata.actions.find((candidate) => candidate.id === id);
  if (!action) throw new NotFoundError(`unknown action "${id}"`);
  if (action.type !== type) {
    throw new InvalidPayloadError(`action "${id}" is a ${action.type} action; action-${type} runs ${type} actions only`, [
      `action_id: action "${id}" has type ${action.type}`,
    ]);
  }
  return action as ActionOf<Type>;
}

/**
 * Runs one attempt of an action at an event: a disabled action is `skipped`; an event another attempt is working on,
 * or already worked, is `skipped` (`already_running`, `already_succeeded`); otherwise the work runs and the attempt
 * ends `succeeded` or `failed` with the error's message. A failure that is not a platform error (a bug) is recorded,
 * then thrown.
 *
 * @example
 * return runAction(request, deps, {
 *   type: 'email',
 *   timeoutSeconds: 60,
 *   perform: async (action, run, log) => ({ message_id: await send(action.settings, run) }),
 * });
 */
export async function runAction<Type extends ActionType>(request: ActionRequest, deps: ActionDeps, work: ActionWork<Type>): Promise<Outcome> {
  const action = findAction(deps.metadata, request.action_id, work.type);
  if (!action.enabled) return { status: 'skipped', reason: 'action disabled', action_id: action.id };
  const claim = await claimActionRun(deps.db, {
    action,
    event: request.event,
    call_id: deps.callId,
    parent_call_id: request.parent_call_id,
    status: 'running',
    timeout_seconds: work.timeoutSeconds,
    request,
  });
  if (!claim.claimed) {
    const reason = claim.existing.status === 'running' ? 'already_running' : 'already_succeeded';
    return { status: 'skipped', reason, action_id: action.id, duplicate_of_run_id: claim.existing.run_id };
  }
  const { run } = claim;
  const log = deps.log.child({ run_id: run.run_id, attempt: run.attempt });
  const facts = { action_id: action.id, run_id: run.run_id, attempt: run.attempt };
  try {
    const resolved = (await deps.loader.loadAction(action.id)) as Resolved<ActionOf<Type>>;
    const done = await work.perform(resolved, run, log);
    await finishActionRun(deps.db, run.run_id, { status: 'succeeded' });
    return { status: 'succeeded', ...facts, ...done };
  } catch (error) {
    await finishActionRun(deps.db, run.run_id, { status: 'failed', error: error instanceof Error ? error.message : String(error) });
    if (!isPlatformError(error)) throw error;
    return { status: 'failed', error, ...facts };
  }
}
