import { connectorFunctionDefinition } from '../../shared/layers/landing/connector-function.ts';
import { createNightscoutConnector } from '../../shared/layers/landing/nightscout/nightscout-connector.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';

/**
 * Lands a batch of a Nightscout system (type `nightscout`, e.g. NSC01): entries, treatments and devicestatus since
 * the cursor, every profile; then chains bronze. Payload: `{"system_id": "NSC01"}`, optionally `batch_id` (rerun),
 * `window` (backfill), `force`, `options: {"full": true}` (read again from backfill_from). docs/connectors/nightscout.md.
 */
export const connectorNightscout = connectorFunctionDefinition('connector-nightscout', { nightscout: createNightscoutConnector() });

export const handler = defineFunction(connectorNightscout);
