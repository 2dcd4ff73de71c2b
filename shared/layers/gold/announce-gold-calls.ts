import type { Transaction } from '../../adapters/postgres/transaction.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import { goldEntitiesReading, type GoldMetadata } from './gold-entity.ts';

/**
 * Announces a `gold` call for every enabled gold entity that reads the entity of a finished silver run, in the
 * transaction that finishes the run (outbox), with the run's batch as the triggering batch. Called for every
 * outcome, not only success, so each gold entity of the batch gets an outcome and the gold layer run completes;
 * gold itself skips a batch in which none of its sources succeeded.
 *
 * `force` is set when the silver run changed its entity: a gold entity with several sources may already have
 * recomputed this batch after another source, and must recompute again. An unchanged source needs no second run.
 * Returns the gold entity ids called.
 */
export async function announceGoldCalls(
  tx: Transaction,
  silverRun: EntityLayerRun,
  metadata: Pick<GoldMetadata, 'entities'>,
  origin: { readonly call_id: string | undefined; readonly force: boolean },
): Promise<string[]> {
  const targets = goldEntitiesReading(metadata, silverRun.entity_id);
  if (targets.length === 0) return [];
  await announceCalls(
    tx,
    { batch_id: silverRun.batch_id, batch_timestamp: silverRun.batch_timestamp, call_id: origin.call_id },
    targets.map((entity) => ({
      function: 'gold',
      payload: { gold_entity_id: entity.id, batch_id: silverRun.batch_id, force: origin.force },
    })),
  );
  return targets.map((entity) => entity.id);
}
