/**
 * The gold use-case: recompute one gold entity from silver for a triggering batch, audited as an entity-layer run
 * of layer `gold` (skip/force/stale like every layer), with its events in the same transaction as its rows.
 */
import type { Pool } from '../../adapters/postgres/pool.ts';
import { qualified } from '../../adapters/postgres/sql.ts';
import { withTransaction, type Transaction } from '../../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../../adapters/postgres/advisory-lock.ts';
import { GOLD_SCHEMA } from '../../core/table-layout.ts';
import { NotFoundError, isPlatformError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { finishEntityRun, startEntityRun } from '../../runs/entity-runs.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import { RunNotRunningError } from '../../runs/run-errors.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { GoldRequest } from '../../runtime/payloads.ts';
import { emitLayerFinishEvents } from '../chaining/emit-events.ts';
import { missingSourceTables } from './gold-batches.ts';
import { hasSourceSucceeded, latestSourceBatch } from '../../runs/entity-run-history.ts';
import { findBatchOrigin } from '../../runs/landing-history.ts';
import { goldEntitiesOfSystem, resolveGoldEntity, type GoldMetadata, type ResolvedGoldEntity } from './gold-entity.ts';
import type { GoldCounts, GoldProcessor } from './gold-processor.ts';
import { ensureGoldTable, goldTableSpec } from './gold-table.ts';
import { replaceGoldRows } from './replace-gold-rows.ts';

/** What a gold call works with. */
export interface GoldCallContext {
  readonly pool: Pool;
  readonly metadata: GoldMetadata & Pick<MetadataSet, 'actions'>;
  readonly log: Logger;
  /** This call's `X-Call-Id`. */
  readonly callId: string | undefined;
  /** The function's timeout: a `running` gold run of the same batch older than this is stale and taken over. */
  readonly timeoutSeconds: number;
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

/** Ends a gold run that found nothing to do, with its events. */
async function finishSkipped(run: EntityLayerRun, reason: string, context: GoldCallContext): Promise<Outcome> {
  await withTransaction(context.pool, async (tx) => {
    const finish = await finishEntityRun(tx, run.run_id, { status: 'skipped', skip_reason: reason });
    await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: context.callId });
  });
  context.log.info({ run_id: run.run_id, reason }, 'gold entity skipped');
  return { status: 'skipped', reason, run_id: run.run_id, batch_id: run.batch_id };
}

/**
 * Records a failed gold run (the recompute rolled back) with its events. A platform error becomes the `failed`
 * outcome (answered with its status); anything else is a bug and is thrown on, to be answered 500.
 */
async function finishFailed(run: EntityLayerRun, error: unknown, context: GoldCallContext): Promise<Outcome> {
  if (error instanceof RunNotRunningError) throw error; // taken over as stale: the new run owns the outcome
  const message = error instanceof Error ? error.message : String(error);
  await withTransaction(context.pool, async (tx) => {
    const finish = await finishEntityRun(tx, run.run_id, { status: 'failed', error: message });
    await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: context.callId });
  });
  if (!isPlatformError(error)) throw error;
  return { status: 'failed', error, run_id: run.run_id, batch_id: run.batch_id };
}

/**
 * Handles a `gold` call. The run is recorded under the triggering batch (`batch_id`; without it, the newest batch
 * in which silver succeeded for a source, and the call counts as forced: only a person leaves the batch out) and
 * the batch's system, in that batch's gold layer run, which waits for every gold entity the system's entities feed. The recompute is skipped when no source succeeded in silver in the
 * batch (unless `force`), or when a source has no silver table yet. Otherwise the processor recomputes the whole
 * table from silver in one transaction with the run's finish and events.
 */
export async function processGoldRequest(request: GoldRequest, context: GoldCallContext): Promise<Outcome> {
  const { pool, metadata, log } = context;
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

  await openSystemLayerRun(pool, { batch_id: batchId, system_id: origin.system_id, layer: 'gold', entities_expected: expected.length, call_id: context.callId ?? null });
  const start = await startEntityRun(pool, {
    batch_id: batchId,
    system_id: origin.system_id,
    layer: 'gold',
    entity_id: gold.entity.id,
    call_id: context.callId ?? null,
    parent_call_id: request.parent_call_id ?? null,
    force,
    timeout_seconds: context.timeoutSeconds,
  });
  if (!start.proceed) {
    log.info({ run_id: start.run.run_id, reason: start.reason }, 'gold entity skipped');
    return { status: 'skipped', reason: start.reason, run_id: start.run.run_id, duplicate_of_run_id: start.duplicateOfRunId, batch_id: batchId };
  }
  const { run } = start;
  try {
    if (!force && !(await hasSourceSucceeded(pool, batchId, gold.sourceIds))) {
      return await finishSkipped(run, 'no source succeeded in silver in this batch', context);
    }
    const missing = await missingSourceTables(pool, Object.values(gold.sources));
    if (missing.length > 0) return await finishSkipped(run, `no silver table yet for ${missing.join(', ')}`, context);
    const counts = await withTransaction(pool, async (tx) => {
      const recomputed = await recompute(tx, gold, run, context);
      const finish = await finishEntityRun(tx, run.run_id, { status: 'succeeded', counts: recomputed });
      await emitLayerFinishEvents(tx, finish, metadata, { call_id: context.callId });
      return recomputed;
    });
    log.info({ run_id: run.run_id, ...counts }, 'gold entity recomputed');
    return { status: 'succeeded', run_id: run.run_id, batch_id: batchId, counts };
  } catch (error) {
    return finishFailed(run, error, context);
  }
}
