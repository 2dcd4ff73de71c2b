import { processGoldRequest } from '../../shared/layers/gold/process-gold-request.ts';
import { defineLayerFunction } from '../../shared/layers/layer-run.ts';
import { defineFunction } from '../../shared/runtime/define-function.ts';
import { GoldRequest } from '../../shared/runtime/payloads.ts';

/**
 * The function's timeout in seconds: stack.yml's `exec_timeout` for gold. A `running` gold run older than this
 * belongs to a call that died, and is taken over.
 */
export const GOLD_TIMEOUT_SECONDS = 50;

/**
 * Recomputes one gold entity from silver, chained by silver with `{gold_entity_id, batch_id}` when a source
 * finished a batch; `force: true` recomputes a batch again, and a call without `batch_id` (a person's) always
 * recomputes, under the newest batch of its sources. See docs/gold.md.
 */
export const gold = defineLayerFunction('gold', GoldRequest, GOLD_TIMEOUT_SECONDS, processGoldRequest);

export const handler = defineFunction(gold);
