import { createJsonFileConnector } from '../../shared/layers/landing/jsonfile/jsonfile-connector.ts';
import { connectorFunctionDefinition } from '../../shared/layers/landing/connector-function.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';

/**
 * Where a relative `connection.path` is read from: `JSONFILE_BASE_DIR` when set (stack.yml; `npm start` sets it to
 * the project root, since a function runs in its image folder), else the working directory.
 */
const baseDir = process.env.JSONFILE_BASE_DIR === undefined || process.env.JSONFILE_BASE_DIR === '' ? undefined : process.env.JSONFILE_BASE_DIR;

/**
 * Lands the next batch folder of a built-in test system (type `jsonfile`, e.g. TST01) and chains bronze.
 * Payload: `{"system_id": "TST01"}`, optionally `batch_id` (rerun), `force`, `options: {"batch": "batch-0003"}`.
 * See docs/test-system.md.
 */
export const connectorJsonfile = connectorFunctionDefinition('connector-jsonfile', {
  jsonfile: createJsonFileConnector(baseDir === undefined ? {} : { baseDir }),
});

export const handler = defineFunction(connectorJsonfile);
