import { runWebhookAction } from '../../shared/layers/actions/run-webhook-action.ts';
import { defineFunction, type FunctionDefinition } from '../../shared/runtime/define-function.ts';
import { ActionRequest } from '../../shared/runtime/payloads.ts';

/**
 * Runs the `webhook` actions of actions.json: chained through the outbox with `{action_id, event}` when a platform
 * event matches an action's `on`, it POSTs the event, signed, to the action's URL and records the attempt in
 * `audit.action_run`. See docs/actions.md.
 */
export const actionWebhook: FunctionDefinition<typeof ActionRequest> = {
  name: 'action-webhook',
  request: ActionRequest,
  run: async (request, call) => {
    const loader = await call.deps.metadataLoader();
    return runWebhookAction(request, {
      db: await call.deps.pool(),
      metadata: await loader.load(),
      loader,
      log: call.log,
      callId: call.callId,
    });
  },
};

export const handler = defineFunction(actionWebhook);
