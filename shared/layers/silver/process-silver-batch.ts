/**
 * The silver use-case: apply one bronze batch of an entity to silver with the SCD engine, audited as an
 * entity-layer run of layer `silver`, and chain the gold entities that read the entity, all in one transaction.
 */
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import { NotFoundError } from '../../errors.ts';
import { entityTable, layerEntitiesOf, type BronzeSilverEntity } from '../../metadata/entity-schema.ts';
import { listSucceededBronzeBatches, readBatchTimestamp, readBronzeOutcome } from '../../runs/entity-run-history.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import type { SilverRequest } from '../../runtime/payloads.ts';
import { announceGoldCalls } from '../gold/announce-gold-calls.ts';
import { withEntityRun, type LayerMetadata, type LayerRunDeps, type LayerWork } from '../layer-run.ts';
import { applySilverBatch } from './apply-silver-batch.ts';
import { checkCanarySilver, isCanary } from './check-canary-silver.ts';
import { rebuildSilver } from './rebuild-silver.ts';
import type { SilverEntity, SilverResult } from './silver-entity.ts';

/** What a silver call works with. */
export interface SilverCallContext extends LayerRunDeps {
  /**
   * Where canary systems' folders are read from (JSONFILE_BASE_DIR, as the connector reads them): each batch applied
   * to an entity of a canary is then checked against the generator's expected state (`check-canary-silver.ts`).
   * Absent: no check (library use); the silver function always sets it.
   */
  readonly canaryBaseDir?: string;
}

/** Resolves the request's entity: a bronze_silver entity of the named system with a known model (else 404). */
function resolveSilverEntity(metadata: LayerMetadata, request: SilverRequest): { entity: BronzeSilverEntity; silver: SilverEntity } {
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

/**
 * Handles a `silver` call for one entity of a batch, as a layer run (`withEntityRun`: the batch's silver layer
 * opened, the entity run started, skipped when the batch already succeeded unless `force` or `rebuild`, a failure
 * recorded):
 * 1. skips, recorded, when no bronze run of the batch succeeded for the entity;
 * 2. applies the batch with the SCD engine under the entity's lock (a batch older than silver replays the entity
 *    from bronze), or with `rebuild` replays every batch whose bronze run succeeded; for a canary system, checks
 *    the entity's silver against the generator's expected state (a difference fails the run, nothing applied); then,
 *    in the same transaction, finishes the run with its counts, announces the gold entities that read the entity,
 *    and emits the events.
 * Gold is announced after every outcome (see `announceGoldCalls`), so the batch's gold layer completes.
 */
export async function processSilverBatch(request: SilverRequest, context: SilverCallContext): Promise<Outcome> {
  const { pool, metadata } = context;
  const { entity, silver } = resolveSilverEntity(metadata, request);
  if (!entity.enabled) return { status: 'skipped', reason: 'entity disabled', entity_id: entity.id };
  const work: LayerWork = {
    layer: 'silver',
    batchId: request.batch_id,
    systemId: request.system_id,
    entityId: entity.id,
    entitiesExpected: layerEntitiesOf(metadata, request.system_id).length,
    parentCallId: request.parent_call_id,
    force: request.force || request.rebuild,
  };
  return withEntityRun(work, context, {
    chainNext: async (tx, run, { forceNext }) => ({
      gold_calls: await announceGoldCalls(tx, run, metadata, { call_id: context.callId, force: forceNext }),
    }),
    process: async ({ run, log, end, skip }) => {
      const bronze = await readBronzeOutcome(pool, request.batch_id, entity.id);
      if (!bronze.succeeded) return skip(`bronze has not succeeded for this batch (latest bronze run: ${bronze.latest ?? 'none'})`);
      const batch = { batch_id: request.batch_id, batch_timestamp: await readBatchTimestamp(pool, run.run_id) };
      // Without a call id (a direct call, not through the gateway) the run id marks the versions this call writes.
      const callId = context.callId ?? run.run_id;
      const system = metadata.systems.find((candidate) => candidate.id === request.system_id);
      const { result, chained } = await withTransaction(pool, async (tx) => {
        const applied = request.rebuild
          ? await rebuildSilver(tx, { entity: silver, batches: await listSucceededBronzeBatches(tx, entity.id), callId })
          : await applySilverBatch(tx, { entity: silver, batch, callId });
        if (context.canaryBaseDir !== undefined && isCanary(system)) {
          const canary = { system, entity: silver, run: { ...batch, run_id: run.run_id }, callId: context.callId, baseDir: context.canaryBaseDir };
          await checkCanarySilver(tx, pool, canary);
        }
        return { result: applied, chained: await end(tx, { status: 'succeeded', counts: applied.counts }, { forceNext: changedSilver(applied) }) };
      });
      log.info({ mode: result.mode, duplicates: result.duplicates, batches_replayed: result.batches_replayed, ...result.counts }, 'silver entity applied');
      return {
        status: 'succeeded',
        run_id: run.run_id,
        mode: result.mode,
        counts: result.counts,
        duplicates: result.duplicates,
        batches_replayed: result.batches_replayed,
        ...chained,
      };
    },
  });
}
