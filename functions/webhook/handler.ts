import { CONNECTOR_STATE_DATABASE, createConnectorStateStore } from '../../shared/adapters/mongo/connector-state-store.ts';
import { createLandingStore } from '../../shared/adapters/mongo/landing-store.ts';
import type { FunctionAccess, Handler } from '../../shared/handler.ts';
import { loadLandingConfig } from '../../shared/layers/landing/landing-config.ts';
import { handleWebhook } from '../../shared/layers/webhook/handle-webhook.ts';
import { processFunctionDeps, type FunctionDeps } from '../../shared/runtime/function-deps.ts';

/**
 * The URL a source calls: `POST /function/webhook/<system id>`. Authenticates the caller as the system's `webhook`
 * settings say (token and/or the source's signature), refuses bad calls with a JSON 4xx before storing anything,
 * then starts a pull of the system (202) or lands the pushed records (200). docs/connectors/webhook.md.
 */
/** The handler; tests inject deps and database names, the function uses the process's. */
export function webhookHandler(options: { deps?: FunctionDeps; databases?: { landing?: string; state?: string } } = {}): Handler {
  return async (event, context) => {
    const shared = options.deps ?? processFunctionDeps('webhook', context.log);
    const stateDatabase = options.databases?.state ?? CONNECTOR_STATE_DATABASE;
    const answer = await handleWebhook(event, {
      metadata: () => shared.metadataLoader(),
      state: async () => createConnectorStateStore((await shared.mongo()).db(stateDatabase)),
      pool: () => shared.pool(),
      landing: async () => createLandingStore((await shared.mongo()).db(options.databases?.landing ?? loadLandingConfig().database)),
      gateway: () => shared.gateway(),
      log: context.log,
      callId: context.callId,
      now: () => shared.now(),
      timeoutSeconds: loadLandingConfig().timeoutSeconds,
    });
    context.status(answer.httpStatus);
    return answer.body;
  };
}

export const handler = webhookHandler();

/** The one function the internet may call: it authenticates each caller as the system's `webhook` settings say. */
export const access: FunctionAccess = 'public';
