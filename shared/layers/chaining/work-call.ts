import type { Layer } from '../../core/run-status.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { connectorFunction } from '../../runtime/payloads.ts';
import type { ChainedCall } from './announce-calls.ts';

/** One piece of work as the audit rows name it: a batch's landing (`level` system) or an entity's batch in a layer. */
export interface WorkUnit {
  readonly level: 'system' | 'entity';
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly system_id: string;
  readonly layer: Layer | null;
  readonly entity_id: string | null;
}

/**
 * The call that does a piece of work (again), or why there is none (metadata no longer has it, or it is off):
 * a landing goes to its system's connector with the batch's id and time, so it lands that batch; an entity's
 * bronze or silver to that layer's function; a gold entity to `gold` for the batch. `force` redoes work that
 * succeeded. Used by the scheduler's re-queue and by the CLI's rerun and force.
 */
export function callForWork(
  work: WorkUnit,
  metadata: Pick<MetadataSet, 'systems' | 'entities'>,
  options: { readonly force: boolean },
): ChainedCall | { skip: string } {
  const system = metadata.systems.find((each) => each.id === work.system_id);
  if (!system?.enabled) return { skip: `system ${work.system_id} is unknown or disabled` };
  const force = options.force;
  if (work.level === 'system') {
    return {
      function: connectorFunction(system.type),
      payload: { system_id: system.id, batch_id: work.batch_id, batch_timestamp: work.batch_timestamp.toISOString(), force },
    };
  }
  const entity = metadata.entities.find((each) => each.id === work.entity_id);
  if (!entity?.enabled) return { skip: `entity ${work.entity_id ?? '?'} is unknown or disabled` };
  switch (work.layer) {
    case 'bronze':
    case 'silver':
      return { function: work.layer, payload: { batch_id: work.batch_id, system_id: work.system_id, entity_id: entity.id, force } };
    case 'gold':
      return { function: 'gold', payload: { gold_entity_id: entity.id, batch_id: work.batch_id, force } };
    default:
      // An entity's landing is part of its system's landing: the landing run is what runs again.
      return { skip: `no function re-runs one entity of layer ${String(work.layer)}` };
  }
}
