/**
 * A gold entity as the gold layer works on it, resolved from metadata: its processor and parsed options, its
 * system (for the time zone), its model and table, and the silver tables of its sources.
 */
import { qualified } from '../../adapters/postgres/sql.ts';
import type { EntityModel } from '../../core/entity-model.ts';
import { SILVER_SCHEMA } from '../../core/table-layout.ts';
import { ConfigurationError, NotFoundError } from '../../errors.ts';
import { formatIssue } from '../../handler.ts';
import { entityTable, type Entity, type GoldEntity } from '../../metadata/entity-schema.ts';
import type { MetadataSet, ModelledMetadata } from '../../metadata/metadata-set.ts';
import type { System } from '../../metadata/system-schema.ts';
import type { GoldProcessor, SourceTable } from './gold-processor.ts';
import { goldProcessorFor, goldProcessors } from './gold-registry.ts';

/** Everything a recompute needs to know about one gold entity. */
export interface ResolvedGoldEntity {
  readonly entity: GoldEntity;
  readonly system: System;
  readonly model: EntityModel;
  /** The table in `gold` (the entity id unless metadata says `table`). */
  readonly table: string;
  readonly processor: GoldProcessor;
  readonly options: unknown;
  /** The source silver tables by the model name the processor declared. */
  readonly sources: Readonly<Record<string, SourceTable>>;
  /** Every source entity id (what silver runs of a batch are looked up by). */
  readonly sourceIds: readonly string[];
}

/**
 * Resolves a gold call's entity. An unknown entity, system, model or processor is a `NotFoundError` (404);
 * options the processor refuses, or sources that do not give the processor one entity of each model it reads,
 * are a `ConfigurationError` naming the entity.
 */
export function resolveGoldEntity(
  metadata: ModelledMetadata,
  goldEntityId: string,
  registry: Readonly<Record<string, GoldProcessor>> = goldProcessors,
): ResolvedGoldEntity {
  const entity = metadata.entities.find((candidate) => candidate.id === goldEntityId);
  if (!entity) throw new NotFoundError(`unknown entity "${goldEntityId}"`);
  if (entity.kind !== 'gold') throw new NotFoundError(`entity "${goldEntityId}" is a ${entity.kind} entity; gold computes gold entities`);
  const system = metadata.systems.find((candidate) => candidate.id === entity.system_id);
  if (!system) throw new NotFoundError(`entity "${goldEntityId}" belongs to unknown system "${entity.system_id}"`);
  const model = metadata.models[entity.model];
  if (!model) throw new NotFoundError(`entity "${goldEntityId}" names model "${entity.model}", which this code does not know`);
  const processor = goldProcessorFor(entity.processor.name, registry);
  const parsed = processor.options.safeParse(entity.processor.options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => formatIssue({ ...issue, path: ['processor', 'options', ...issue.path] }));
    throw new ConfigurationError(`entities.json › ${goldEntityId}: ${issues.join('; ')}`);
  }
  return {
    entity,
    system,
    model,
    table: entityTable(entity),
    processor,
    options: parsed.data,
    sources: resolveSources(metadata, entity, processor),
    sourceIds: entity.sources,
  };
}

/** Each model the processor reads, matched to the one source entity of that model. */
function resolveSources(metadata: ModelledMetadata, entity: GoldEntity, processor: GoldProcessor): Record<string, SourceTable> {
  const sources: Record<string, SourceTable> = {};
  for (const model of processor.sources) {
    const matches = entity.sources
      .map((id) => metadata.entities.find((candidate) => candidate.id === id))
      .filter((source): source is Entity => source?.kind === 'bronze_silver' && source.model === model);
    const [match] = matches;
    if (!match || matches.length > 1) {
      throw new ConfigurationError(
        `entities.json › ${entity.id} › sources: processor "${processor.id}" reads one entity of model "${model}", ` +
          `the sources give ${matches.length} (${entity.sources.join(', ')})`,
      );
    }
    sources[model] = { entity_id: match.id, table: qualified(SILVER_SCHEMA, entityTable(match)) };
  }
  return sources;
}

/** The enabled gold entities that read `entityId`: what silver chains to when it finishes that entity. */
export function goldEntitiesReading(metadata: Pick<MetadataSet, 'entities'>, entityId: string): GoldEntity[] {
  return metadata.entities.filter((entity): entity is GoldEntity => entity.kind === 'gold' && entity.enabled && entity.sources.includes(entityId));
}

/** The ids of the enabled bronze_silver entities of `systemId`: what each of its batches runs through silver. */
export function silverEntitiesOfSystem(metadata: Pick<MetadataSet, 'entities'>, systemId: string): string[] {
  return metadata.entities.filter((entity) => entity.kind === 'bronze_silver' && entity.enabled && entity.system_id === systemId).map((entity) => entity.id);
}

/**
 * The enabled gold entities a batch of `systemId` can trigger: those reading at least one enabled bronze_silver
 * entity of the system. Their number is what the batch's gold layer run waits for (`entities_expected`).
 */
export function goldEntitiesOfSystem(metadata: Pick<MetadataSet, 'entities'>, systemId: string): GoldEntity[] {
  const systemEntities = new Set(silverEntitiesOfSystem(metadata, systemId));
  return metadata.entities.filter(
    (entity): entity is GoldEntity => entity.kind === 'gold' && entity.enabled && entity.sources.some((source) => systemEntities.has(source)),
  );
}
