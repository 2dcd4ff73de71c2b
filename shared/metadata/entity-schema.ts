import * as z from 'zod';
import { Identifier, SystemId } from './identifier.ts';
import { BronzeProcessor, GoldProcessor } from './processor-schema.ts';
import { Quality } from './quality-schema.ts';

const EntityBase = {
  /** snake_case, unique; also the table name unless `table` says otherwise. */
  id: Identifier,
  description: z.string().default(''),
  system_id: SystemId,
  /** Name of the zod model in metadata/models/ (columns, types, business key, SCD types). */
  model: Identifier,
  /** Table name in its layers' schemas, when it differs from the id. */
  table: Identifier.optional(),
  enabled: z.boolean().default(true),
  quality: Quality.default(() => Quality.parse({})),
  /** Platform events this entity emits when a layer finishes it. */
  events: z.array(z.literal('entity-layer-processed')).default([]),
};

/** An entity read from landing into bronze by a pattern processor, historised in silver. */
export const BronzeSilverEntity = z.strictObject({
  ...EntityBase,
  kind: z.literal('bronze_silver'),
  /** `full`: each batch is the whole set (absent keys are closed in silver); `delta`: only changes. */
  load_type: z.enum(['full', 'delta']),
  /** The landing collection (of `system_id`) the records come from. */
  landing_entity: Identifier,
  processor: BronzeProcessor,
});

/** An entity computed by its own gold processor from silver entities. */
export const GoldEntity = z.strictObject({
  ...EntityBase,
  kind: z.literal('gold'),
  /** The silver (bronze_silver) entities it reads; it is recomputed when one of them changes. */
  sources: z.array(Identifier).min(1, { error: 'a gold entity reads at least one source entity' }),
  processor: GoldProcessor,
});

/** One record of `entities.json`; `kind` selects bronze_silver or gold. */
export const Entity = z.discriminatedUnion('kind', [BronzeSilverEntity, GoldEntity], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected kind to be "bronze_silver" or "gold"' : undefined),
});
export type Entity = z.infer<typeof Entity>;
export type BronzeSilverEntity = z.infer<typeof BronzeSilverEntity>;
export type GoldEntity = z.infer<typeof GoldEntity>;

/** The table an entity writes (its id unless `table` is given). */
export function entityTable(entity: Entity): string {
  return entity.table ?? entity.id;
}

/**
 * The enabled `bronze_silver` entities of a system, in metadata order: one bronze call each, and what its bronze
 * and silver layer runs wait for (`entities_expected`).
 */
export function layerEntitiesOf(metadata: { readonly entities: readonly Entity[] }, system_id: string): BronzeSilverEntity[] {
  return metadata.entities.filter(
    (entity): entity is BronzeSilverEntity => entity.kind === 'bronze_silver' && entity.system_id === system_id && entity.enabled,
  );
}
