import { runEmailAction } from '../../shared/layers/actions/run-email-action.ts';
import { defineFunction, type FunctionDefinition } from '../../shared/runtime/define-function.ts';
import { ActionRequest } from '../../shared/runtime/payloads.ts';

/**
 * Runs the `email` actions of actions.json: chained through the outbox with `{action_id, event}` when a platform
 * event matches an action's `on`, it sends one message per event through the action's SMTP server and records the
 * attempt in `audit.action_run`. See docs/actions.md.
 */
export const actionEmail: FunctionDefinition<typeof ActionRequest> = {
  name: 'action-email',
  request: ActionRequest,
  run: async (request, call) => {
    const loader = await call.deps.metadataLoader();
    return runEmailAction(request, {
      db: await call.deps.pool(),
      metadata: await loader.load(),
      loader,
      log: call.log,
      callId: call.callId,
    });
  },
};

export const handler = defineFunction(actionEmail);
