import { jsonFileBaseDir } from '../../shared/layers/landing/jsonfile/batch-folder.ts';
import { processSilverBatch } from '../../shared/layers/silver/process-silver-batch.ts';
import { defineLayerFunction } from '../../shared/layers/layer-run.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';
import { SilverRequest } from '../../shared/runtime/payloads.ts';

/**
 * The function's timeout in seconds: stack.yml's `exec_timeout` for silver. A `running` silver run older than
 * this belongs to a call that died, and is taken over.
 */
export const SILVER_TIMEOUT_SECONDS = 50;

/**
 * Applies one bronze batch of an entity to silver (SCD1/SCD2 history), chained by bronze with
 * `{batch_id, system_id, entity_id}`; `force: true` applies a batch again, `rebuild: true` replays the entity's
 * whole history from bronze. See docs/silver.md.
 */
export const silver = defineLayerFunction('silver', SilverRequest, SILVER_TIMEOUT_SECONDS, (request, deps) =>
  processSilverBatch(request, { ...deps, canaryBaseDir: jsonFileBaseDir() }),
);

export const handler = defineFunction(silver);
