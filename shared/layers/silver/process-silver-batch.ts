/**
 * The silver use-case: apply one bronze batch of an entity to silver with the SCD engine, audited as an
 * entity-layer run of layer `silver`, and chain the gold entities that read the entity, all in one transaction.
 */
import type { Pool } from '../../adapters/postgres/pool.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import type { EntityModel } from '../../core/entity-model.ts';
import { NotFoundError, isPlatformError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { entityTable, layerEntitiesOf, type BronzeSilverEntity } from '../../metadata/entity-schema.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { finishEntityRun, startEntityRun } from '../../runs/entity-runs.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import { RunNotRunningError } from '../../runs/run-errors.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { SilverRequest } from '../../runtime/payloads.ts';
import { emitLayerFinishEvents } from '../chaining/emit-events.ts';
import { announceGoldCalls } from '../gold/announce-gold-calls.ts';
import { applySilverBatch } from './apply-silver-batch.ts';
import { listSucceededBronzeBatches, readBatchTimestamp, readBronzeOutcome } from '../../runs/entity-run-history.ts';
import { checkCanarySilver, isCanary } from './check-canary-silver.ts';
import { rebuildSilver } from './rebuild-silver.ts';
import type { SilverEntity, SilverResult } from './silver-entity.ts';

/** The metadata silver reads: systems and entities (with their models), and actions for the events. */
export interface SilverMetadata extends Pick<MetadataSet, 'systems' | 'entities' | 'actions'> {
  readonly models: Readonly<Record<string, EntityModel>>;
}

/** What a silver call works with. */
export interface SilverCallContext {
  readonly pool: Pool;
  readonly metadata: SilverMetadata;
  readonly log: Logger;
  /** This call's `X-Call-Id`; stored on the audit row and on the versions it writes. */
  readonly callId: string | undefined;
  /** The function's timeout: a `running` silver run of the same batch older than this is stale and taken over. */
  readonly timeoutSeconds: number;
  /**
   * Where canary systems' folders are read from (JSONFILE_BASE_DIR, as the connector reads them): each batch applied
   * to an entity of a canary is then checked against the generator's expected state (`check-canary-silver.ts`).
   * Absent: no check (library use); the silver function always sets it.
   */
  readonly canaryBaseDir?: string;
}

/** Resolves the request's entity: a bronze_silver entity of the named system with a known model (else 404). */
function resolveSilverEntity(metadata: SilverMetadata, request: SilverRequest): { entity: BronzeSilverEntity; silver: SilverEntity } {
  if (!metadata.systems.some((system) => system.id === request.system_id)) throw new NotFoundError(`unknown system "${request.system_id}"`);
  const entity = metadata.entities.find((candidate) => candidate.id === request.entity_id);
  if (!entity) throw new NotFoundError(`unknown entity "${request.entity_id}"`);
  if (entity.system_id !== request.system_id) throw new NotFoundError(`entity "${entity.id}" belongs to system ${entity.system_id}, not ${request.system_id}`);
  if (entity.kind !== 'bronze_silver') throw new NotFoundError(`entity "${entity.id}" is a ${entity.kind} entity; silver historises bronze_silver entities`);
  const model = metadata.models[entity.model];
  if (!model) throw new NotFoundError(`entity "${entity.id}" names model "${entity.model}", which this code does not know`);
  const silver: SilverEntity = {
    id: entity.id,
    table: entityTable(entity),
    model,
    loadType: entity.load_type,
    ...(entity.tombstone === undefined ? {} : { tombstone: entity.tombstone }),
  };
  return { entity, silver };
}

/** Whether a result changed silver (so the gold entities reading it must recompute, even if they already did). */
function changedSilver(result: SilverResult): boolean {
  const { records_inserted, records_updated, records_deleted } = result.counts;
  return result.mode === 'rebuilt' || records_inserted + records_updated + records_deleted > 0;
}

/** Ends a run without applying (bronze has not succeeded), with its gold calls and events. */
async function finishSkipped(run: EntityLayerRun, reason: string, context: SilverCallContext): Promise<Outcome> {
  const gold = await withTransaction(context.pool, async (tx) => {
    const finish = await finishEntityRun(tx, run.run_id, { status: 'skipped', skip_reason: reason });
    const called = await announceGoldCalls(tx, finish.run, context.metadata, { call_id: context.callId, force: false });
    await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: context.callId });
    return called;
  });
  context.log.info({ run_id: run.run_id, reason }, 'silver entity skipped');
  return { status: 'skipped', reason, run_id: run.run_id, gold_calls: gold };
}

/**
 * Records a failed run (its silver work rolled back) with gold calls and events. A platform error becomes the
 * `failed` outcome; anything else is a bug and is thrown on, to be answered 500.
 */
async function finishFailed(run: EntityLayerRun, error: unknown, context: SilverCallContext): Promise<Outcome> {
  if (error instanceof RunNotRunningError) throw error; // taken over as stale: the new run owns the outcome
  const message = error instanceof Error ? error.message : String(error);
  await withTransaction(context.pool, async (tx) => {
    const finish = await finishEntityRun(tx, run.run_id, { status: 'failed', error: message });
    await announceGoldCalls(tx, finish.run, context.metadata, { call_id: context.callId, force: false });
    await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: context.callId });
  });
  if (!isPlatformError(error)) throw error;
  return { status: 'failed', error, run_id: run.run_id };
}

/**
 * Handles a `silver` call for one entity of a batch:
 * 1. opens the batch's silver layer run (idempotently; bronze opens it when it chains silver, with the same
 *    number of entities), so a manual call works too;
 * 2. starts the entity run: skipped when the batch already succeeded (unless `force` or `rebuild`) or is running;
 * 3. skips, recorded, when no bronze run of the batch succeeded for the entity;
 * 4. applies the batch with the SCD engine under the entity's lock (a batch older than silver replays the entity
 *    from bronze), or with `rebuild` replays every batch whose bronze run succeeded; for a canary system, checks
 *    the entity's silver against the generator's expected state (a difference fails the run, nothing applied); then,
 *    in the same transaction, finishes the run with its counts, announces the gold entities that read the entity,
 *    and emits the events.
 * Gold is announced after every outcome (see `announceGoldCalls`), so the batch's gold layer completes.
 */
export async function processSilverBatch(request: SilverRequest, context: SilverCallContext): Promise<Outcome> {
  const { pool, metadata, log } = context;
  const { entity, silver } = resolveSilverEntity(metadata, request);
  if (!entity.enabled) return { status: 'skipped', reason: 'entity disabled', entity_id: entity.id };

  await openSystemLayerRun(pool, {
    batch_id: request.batch_id,
    system_id: request.system_id,
    layer: 'silver',
    entities_expected: layerEntitiesOf(metadata, request.system_id).length,
    call_id: context.callId ?? null,
  });
  const start = await startEntityRun(pool, {
    batch_id: request.batch_id,
    system_id: request.system_id,
    layer: 'silver',
    entity_id: entity.id,
    call_id: context.callId ?? null,
    parent_call_id: request.parent_call_id ?? null,
    force: request.force || request.rebuild,
    timeout_seconds: context.timeoutSeconds,
  });
  if (!start.proceed) {
    log.info({ run_id: start.run.run_id, reason: start.reason }, 'silver entity skipped');
    return { status: 'skipped', reason: start.reason, run_id: start.run.run_id, duplicate_of_run_id: start.duplicateOfRunId };
  }
  const { run } = start;
  try {
    const bronze = await readBronzeOutcome(pool, request.batch_id, entity.id);
    if (!bronze.succeeded) {
      return await finishSkipped(run, `bronze has not succeeded for this batch (latest bronze run: ${bronze.latest ?? 'none'})`, context);
    }
    const batch = { batch_id: request.batch_id, batch_timestamp: await readBatchTimestamp(pool, run.run_id) };
    // Without a call id (a direct call, not through the gateway) the run id marks the versions this call writes.
    const callId = context.callId ?? run.run_id;
    const system = metadata.systems.find((candidate) => candidate.id === request.system_id);
    const done = await withTransaction(pool, async (tx) => {
      const result = request.rebuild
        ? await rebuildSilver(tx, { entity: silver, batches: await listSucceededBronzeBatches(tx, entity.id), callId })
        : await applySilverBatch(tx, { entity: silver, batch, callId });
      if (context.canaryBaseDir !== undefined && isCanary(system)) {
        const canary = { system, entity: silver, run: { ...batch, run_id: run.run_id }, callId: context.callId, baseDir: context.canaryBaseDir };
        await checkCanarySilver(tx, pool, canary);
      }
      const finish = await finishEntityRun(tx, run.run_id, { status: 'succeeded', counts: result.counts });
      const gold = await announceGoldCalls(tx, finish.run, metadata, { call_id: context.callId, force: changedSilver(result) });
      await emitLayerFinishEvents(tx, finish, metadata, { call_id: context.callId });
      return { result, gold };
    });
    const { result, gold } = done;
    log.info({ run_id: run.run_id, mode: result.mode, duplicates: result.duplicates, batches_replayed: result.batches_replayed, ...result.counts }, 'silver entity applied');
    return {
      status: 'succeeded',
      run_id: run.run_id,
      mode: result.mode,
      counts: result.counts,
      duplicates: result.duplicates,
      batches_replayed: result.batches_replayed,
      gold_calls: gold,
    };
  } catch (error) {
    return finishFailed(run, error, context);
  }
}
