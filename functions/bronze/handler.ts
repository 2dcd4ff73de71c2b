import { bronzeLandingStore } from '../../shared/layers/bronze/bronze-landing.ts';
import { processEntityBatch } from '../../shared/layers/bronze/process-entity-batch.ts';
import { defineLayerFunction } from '../../shared/layers/layer-run.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';
import { BronzeRequest } from '../../shared/runtime/payloads.ts';

/**
 * The function's timeout in seconds: stack.yml's `exec_timeout` for bronze. A `running` bronze run older than
 * this belongs to a call that died, and is taken over.
 */
export const BRONZE_TIMEOUT_SECONDS = 50;

/**
 * Loads one entity of a landed batch into `bronze.<table>` (processor, coercion, data-quality checks, COPY, in one
 * transaction), chained by landing with `{batch_id, system_id, entity_id}`; `force: true` replaces the batch's
 * rows. Chains `silver`. See docs/bronze.md.
 */
export const bronze = defineLayerFunction('bronze', BronzeRequest, BRONZE_TIMEOUT_SECONDS, async (request, deps, call) =>
  processEntityBatch(request, { ...deps, landing: await bronzeLandingStore(call.deps) }),
);

export const handler = defineFunction(bronze);
