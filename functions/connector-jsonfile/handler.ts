import { jsonFileBaseDir } from '../../shared/layers/landing/jsonfile/batch-folder.ts';
import { createJsonFileConnector } from '../../shared/layers/landing/jsonfile/jsonfile-connector.ts';
import { connectorFunctionDefinition } from '../../shared/layers/landing/connector-function.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';

/**
 * Lands the next batch folder of a built-in test system (type `jsonfile`, e.g. TST01) and chains bronze; a canary's
 * next folder is generated when none is left.
 * Payload: `{"system_id": "TST01"}`, optionally `batch_id` (rerun), `force`, `options: {"batch": "batch-0003"}`.
 * See docs/test-system.md.
 */
export const connectorJsonfile = connectorFunctionDefinition('connector-jsonfile', {
  jsonfile: createJsonFileConnector({ baseDir: jsonFileBaseDir() }),
});

export const handler = defineFunction(connectorJsonfile);
