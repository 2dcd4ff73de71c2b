import { runLogAction } from '../../shared/layers/actions/run-log-action.ts';
import { defineFunction, type FunctionDefinition } from '../../shared/runtime/define-function.ts';
import { ActionRequest } from '../../shared/runtime/payloads.ts';

/**
 * Runs the `log` actions of actions.json: chained through the outbox with `{action_id, event}` when a platform
 * event matches an action's `on`, it writes the event as one log line at the action's level and records it in
 * `audit.action_run`, once per action and event. See docs/operate.md ("Actions").
 */
export const actionLog: FunctionDefinition<typeof ActionRequest> = {
  name: 'action-log',
  request: ActionRequest,
  run: async (request, call) =>
    runLogAction(request, {
      db: await call.deps.pool(),
      metadata: await call.deps.metadata(),
      log: call.log,
      callId: call.callId,
    }),
};

export const handler = defineFunction(actionLog);
