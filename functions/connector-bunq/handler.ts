import { CONNECTOR_STATE_DATABASE, createConnectorStateStore } from '../../shared/adapters/mongo/connector-state-store.ts';
import { createBunqConnector } from '../../shared/layers/landing/bunq/bunq-connector.ts';
import { connectorFunctionDefinition } from '../../shared/layers/landing/connector-function.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';
import { processFunctionDeps } from '../../shared/runtime/function-deps.ts';

const NAME = 'connector-bunq';

/**
 * Lands a batch of a bunq system (type `bunq`, e.g. BNQ01): every monetary account, the payments newer than the
 * cursor; then chains bronze. The API context (key pair, tokens) is kept sealed in MongoDB `connector_state`.
 * Payload: `{"system_id": "BNQ01"}`, optionally `batch_id` (rerun), `force`, `options: {"full": true}` (every
 * payment again). Started by the scheduler, or by the `webhook` function on a bunq callback. docs/connectors/bunq.md.
 */
export const connectorBunq = connectorFunctionDefinition(NAME, {
  bunq: createBunqConnector({ state: createConnectorStateStore(async () => (await processFunctionDeps(NAME).mongo()).db(CONNECTOR_STATE_DATABASE)) }),
});

export const handler = defineFunction(connectorBunq);
