import type { Transaction } from '../../adapters/postgres/transaction.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import { entitiesAwaitingOutcome } from '../../runs/entity-run-history.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import type { GoldEntity } from '../../metadata/entity-schema.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { goldEntitiesReading, silverEntitiesOfSystem } from './gold-entity.ts';

/**
 * Announces a `gold` call for each enabled gold entity that reads the entity of a finished silver run, once its
 * other sources in the batch's system have an outcome too, in the transaction that finishes the run (outbox), with
 * the run's batch as the triggering batch. So a gold entity with several sources is computed once per batch, after
 * the last of them, not once per source (whose counts would then say "unchanged" for what the first run wrote).
 * Called for every outcome, not only success, so each gold entity of the batch gets an outcome and the gold layer
 * run completes; gold itself skips a batch in which none of its sources succeeded.
 *
 * `force` is set when the silver run changed its entity: a rerun of one source after gold already ran for the
 * batch must recompute it. An unchanged source needs no second run. Returns the gold entity ids called.
 */
export async function announceGoldCalls(
  tx: Transaction,
  silverRun: EntityLayerRun,
  metadata: Pick<MetadataSet, 'entities'>,
  origin: { readonly call_id: string | undefined; readonly force: boolean },
): Promise<string[]> {
  const systemEntities = new Set(silverEntitiesOfSystem(metadata, silverRun.system_id));
  const targets: GoldEntity[] = [];
  for (const entity of goldEntitiesReading(metadata, silverRun.entity_id)) {
    const otherSources = entity.sources.filter((source) => source !== silverRun.entity_id && systemEntities.has(source));
    if ((await entitiesAwaitingOutcome(tx, silverRun.batch_id, 'silver', otherSources)).length === 0) targets.push(entity);
  }
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
