import { jsonFileBaseDir } from '../../shared/layers/landing/jsonfile/batch-folder.ts';
import { processSilverBatch } from '../../shared/layers/silver/process-silver-batch.ts';
import { defineFunction, type FunctionDefinition } from '../../shared/runtime/define-function.ts';
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
export const silver: FunctionDefinition<typeof SilverRequest> = {
  name: 'silver',
  layer: 'silver',
  request: SilverRequest,
  run: async (request, call) =>
    processSilverBatch(request, {
      pool: await call.deps.pool(),
      metadata: await call.deps.metadata(),
      log: call.log,
      callId: call.callId,
      timeoutSeconds: SILVER_TIMEOUT_SECONDS,
      canaryBaseDir: jsonFileBaseDir(),
    }),
};

export const handler = defineFunction(silver);
