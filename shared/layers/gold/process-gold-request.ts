/**
 * The gold use-case: recompute one gold entity from silver for a triggering batch, audited as an entity-layer run
 * of layer `gold` (skip/force/stale like every layer), with its events in the same transaction as its rows.
 */
import { qualified } from '../../adapters/postgres/sql.ts';
import { withTransaction, type Transaction } from '../../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../../adapters/postgres/advisory-lock.ts';
import { GOLD_SCHEMA } from '../../core/table-layout.ts';
import { NotFoundError } from '../../errors.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { GoldRequest } from '../../runtime/payloads.ts';
import { withEntityRun, type LayerRunDeps, type LayerWork } from '../layer-run.ts';
import { missingSourceTables } from './gold-batches.ts';
import { hasSourceSucceeded, latestSourceBatch } from '../../runs/entity-run-history.ts';
import { findBatchOrigin } from '../../runs/landing-history.ts';
import { goldEntitiesOfSystem, resolveGoldEntity, type ResolvedGoldEntity } from './gold-entity.ts';
import type { GoldCounts, GoldProcessor } from './gold-processor.ts';
import { ensureGoldTable, goldTableSpec } from './gold-table.ts';
import { replaceGoldRows } from './replace-gold-rows.ts';

/** What a gold call works with. */
export interface GoldCallContext extends LayerRunDeps {
  /** The processors by id (default: the platform's registry). */
  readonly registry?: Readonly<Record<string, GoldProcessor>>;
}

/**
 * Serialises recomputes of one gold entity for the rest of the transaction: two calls for different batches
 * both read silver and rewrite the whole table, so the second waits and then computes from the newer silver.
 */
async function lockGoldEntity(tx: Transaction, entityId: string): Promise<void> {
  await lockForTransaction(tx, `lock gold ${entityId}`, `dataplatform:gold:${entityId}`);
}

/** Recomputes the gold table in `tx` and returns what changed. */
async function recompute(tx: Transaction, gold: ResolvedGoldEntity, run: EntityLayerRun, context: GoldCallContext): Promise<GoldCounts> {
  await lockGoldEntity(tx, gold.entity.id);
  const spec = goldTableSpec(gold.table, gold.model, GOLD_SCHEMA);
  await ensureGoldTable(tx, spec, context.log);
  const writer = { batch_id: run.batch_id, run_id: run.run_id, call_id: context.callId };
  return gold.processor.recompute(tx, {
    entity: gold.entity,
    model: gold.model,
    sources: gold.sources,
    options: gold.options,
    timeZone: gold.system.timezone,
    target: qualified(spec.schema, spec.table),
    log: context.log,
    replaceRows: (select, values) => replaceGoldRows(tx, { spec, model: gold.model }, writer, select, values),
  });
}

/**
 * Handles a `gold` call. The run is recorded under the triggering batch (`batch_id`; without it, the newest batch
 * in which silver succeeded for a source, and the call counts as forced: only a person leaves the batch out) and
 * the batch's system, in that batch's gold layer run, which waits for every gold entity the system's entities feed. The recompute is skipped when no source succeeded in silver in the
 * batch (unless `force`), or when a source has no silver table yet. Otherwise the processor recomputes the whole
 * table from silver in one transaction with the run's finish and events.
 */
export async function processGoldRequest(request: GoldRequest, context: GoldCallContext): Promise<Outcome> {
  const { pool, metadata } = context;
  const gold = resolveGoldEntity(metadata, request.gold_entity_id, context.registry);
  if (!gold.entity.enabled) return { status: 'skipped', reason: 'entity disabled', gold_entity_id: gold.entity.id };
  // Only a person calls without a batch (silver and the scheduler always name one): that is a request to recompute.
  const force = request.force || request.batch_id === undefined;
  const batchId = request.batch_id ?? (await latestSourceBatch(pool, gold.sourceIds));
  if (batchId === undefined) return { status: 'skipped', reason: 'no source batch yet', gold_entity_id: gold.entity.id };
  const origin = await findBatchOrigin(pool, batchId);
  if (!origin) throw new NotFoundError(`batch ${batchId} has no landing run`);
  const expected = goldEntitiesOfSystem(metadata, origin.system_id);
  if (!expected.some((entity) => entity.id === gold.entity.id)) {
    throw new NotFoundError(`gold entity "${gold.entity.id}" reads no entity of system ${origin.system_id}, whose batch ${batchId} is`);
  }

  const work: LayerWork = {
    layer: 'gold',
    batchId,
    systemId: origin.system_id,
    entityId: gold.entity.id,
    entitiesExpected: expected.length,
    parentCallId: request.parent_call_id,
    force,
    facts: { batch_id: batchId },
  };
  return withEntityRun(work, context, {
    process: async ({ run, log, end, skip }) => {
      if (!force && !(await hasSourceSucceeded(pool, batchId, gold.sourceIds))) return skip('no source succeeded in silver in this batch');
      const missing = await missingSourceTables(pool, Object.values(gold.sources));
      if (missing.length > 0) return skip(`no silver table yet for ${missing.join(', ')}`);
      const counts = await withTransaction(pool, async (tx) => {
        const recomputed = await recompute(tx, gold, run, context);
        await end(tx, { status: 'succeeded', counts: recomputed });
        return recomputed;
      });
      log.info({ ...counts }, 'gold entity recomputed');
      return { status: 'succeeded', run_id: run.run_id, batch_id: batchId, counts };
    },
  });
}
