/**
 * An entity as the bronze layer works on it: its metadata, its system, its model and table, and the settings of
 * processing (processor, quality, time zone), resolved once per call from the loaded metadata.
 */
import type { EntityModel } from '../../core/entity-model.ts';
import type { ProcessorOptions } from '../../core/processors/types.ts';
import type { QualityConfig } from '../../core/dq-checks.ts';
import { NotFoundError } from '../../errors.ts';
import { entityTable, type BronzeSilverEntity } from '../../metadata/entity-schema.ts';
import { processorColumns } from '../../metadata/processor-schema.ts';
import type { ModelledMetadata } from '../../metadata/metadata-set.ts';
import type { System } from '../../metadata/system-schema.ts';

/** Everything bronze needs to know about one entity. */
export interface BronzeEntity {
  readonly entity: BronzeSilverEntity;
  readonly system: System;
  readonly model: EntityModel;
  /** The table in `bronze` (the entity id unless metadata says `table`). */
  readonly table: string;
  readonly processor: ProcessorOptions;
  readonly quality: QualityConfig;
  /** Columns the processor writes itself: not source columns for the column-count check. */
  readonly processorColumns: readonly string[];
  /** The zone naive timestamps are read in: bunq's `timestamp_timezone`, else UTC. */
  readonly timeZone: string;
}

/**
 * Resolves a bronze call's entity: it must be a `bronze_silver` entity of the named system, with a known model.
 * Anything else is a `NotFoundError` (404), before any audit row is written.
 */
export function resolveBronzeEntity(metadata: ModelledMetadata, system_id: string, entity_id: string): BronzeEntity {
  const system = metadata.systems.find((candidate) => candidate.id === system_id);
  if (!system) throw new NotFoundError(`unknown system "${system_id}"`);
  const entity = metadata.entities.find((candidate) => candidate.id === entity_id);
  if (!entity) throw new NotFoundError(`unknown entity "${entity_id}"`);
  if (entity.system_id !== system_id) throw new NotFoundError(`entity "${entity_id}" belongs to system ${entity.system_id}, not ${system_id}`);
  if (entity.kind !== 'bronze_silver') throw new NotFoundError(`entity "${entity_id}" is a ${entity.kind} entity; bronze loads bronze_silver entities`);
  const model = metadata.models[entity.model];
  if (!model) throw new NotFoundError(`entity "${entity_id}" names model "${entity.model}", which this code does not know`);
  return {
    entity,
    system,
    model,
    table: entityTable(entity),
    // The zod output is the plain options core takes (tests/unit/core/processors/options-alignment.test.ts).
    processor: entity.processor as ProcessorOptions,
    quality: entity.quality,
    processorColumns: processorColumns(entity.processor),
    timeZone: system.type === 'bunq' ? system.connection.timestamp_timezone : 'UTC',
  };
}
