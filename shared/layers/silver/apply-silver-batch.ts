import type { Transaction } from '../../adapters/postgres/transaction.ts';
import { applyBatchStep } from './apply-batch-step.ts';
import { isBatchBehind, listAppliedBatches, recordAppliedBatch } from './applied-batches.ts';
import { prepareSilver } from './prepare-silver.ts';
import { replayBatches } from './rebuild-silver.ts';
import type { BatchRef, SilverEntity, SilverResult } from './silver-entity.ts';

/** Input of `applySilverBatch`. */
export interface ApplySilverBatchRequest {
  readonly entity: SilverEntity;
  readonly batch: BatchRef;
  /** The silver call (`X-Call-Id`), stored as `_dp_call_id` on the versions it writes. */
  readonly callId: string;
  /**
   * The batches to replay when `batch` is not newer than silver. Default: the batches silver already holds plus
   * `batch`, so the result is what applying them all in order would have given.
   */
  readonly replayBatches?: (tx: Transaction) => Promise<readonly BatchRef[]>;
}

/**
 * Applies one bronze batch of an entity to silver, in the caller's transaction, under the entity's lock.
 * A batch newer than everything silver holds (by batch_timestamp, then batch_id) is applied on top; an older
 * one, or one silver already holds (a forced rerun), makes the entity replay from bronze in batch order, so
 * late and repeated deliveries end in the same history as in-order delivery. Returns what the batch did.
 *
 * @example
 * const result = await withTransaction(pool, (tx) => applySilverBatch(tx, { entity, batch, callId }));
 * await finishEntityRun(pool, run.run_id, { status: 'succeeded', counts: result.counts });
 */
export async function applySilverBatch(tx: Transaction, request: ApplySilverBatchRequest): Promise<SilverResult> {
  const { entity, batch, callId } = request;
  const ctx = await prepareSilver(tx, entity);
  const schema = ctx.schemas.silver;
  if (!(await isBatchBehind(tx, schema, entity.id, batch))) {
    const step = await applyBatchStep(tx, ctx, { loadType: entity.loadType, batch, callId, entityId: entity.id });
    await recordAppliedBatch(tx, schema, entity.id, batch, callId);
    return { mode: 'applied', counts: step.counts, duplicates: step.duplicates, batches_replayed: 1 };
  }
  const listed = request.replayBatches ? await request.replayBatches(tx) : await listAppliedBatches(tx, schema, entity.id);
  const replay = await replayBatches(tx, ctx, entity, [...listed, batch], callId);
  const own = replay.byBatch.get(batch.batch_id.toLowerCase());
  if (!own) throw new Error(`silver ${entity.id}: batch ${batch.batch_id} missing from its own replay`);
  return { mode: 'rebuilt', counts: own.counts, duplicates: own.duplicates, batches_replayed: replay.replayed };
}
