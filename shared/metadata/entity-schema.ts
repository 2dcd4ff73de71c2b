import * as z from 'zod';
import { Duration, durationMs } from './duration.ts';
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

/**
 * Which records say "this key was deleted at the source" (Nightscout API v3: `isValid` is `false`): a model column
 * and the value that marks a deletion. Silver closes the key's open version and flags it deleted, in delta and full
 * loads alike (docs/silver.md, "Deletes").
 */
export const TombstoneRule = z.strictObject({
  /** A model column (not a key column) of type text, a number type or boolean. */
  column: Identifier,
  equals: z.union([z.string(), z.number(), z.boolean()]),
});
export type TombstoneRule = z.infer<typeof TombstoneRule>;

/**
 * Delta loads from a source without a change feed: each look-back run also re-reads `span` before the cursor, so
 * records that arrive late (with their original dates) or are edited later still land; silver recognises the
 * unchanged ones. `every` spaces look-back runs out (`"1d"`: once a day); without it every run looks back.
 */
/** The longest look-back: a year of a source re-read every run would be a full load in disguise. */
const MAX_LOOKBACK_MS = 366 * 86_400_000;

export const Lookback = z
  .strictObject({ span: Duration, every: Duration.optional() })
  .refine((lookback) => durationMs(lookback.span) <= MAX_LOOKBACK_MS, { error: 'a look-back spans at most 366 days', path: ['span'] })
  .refine((lookback) => lookback.every === undefined || durationMs(lookback.every) <= MAX_LOOKBACK_MS, { error: 'every is at most 366 days', path: ['every'] });
export type Lookback = z.infer<typeof Lookback>;

/** An entity read from landing into bronze by a pattern processor, historised in silver. */
export const BronzeSilverEntity = z
  .strictObject({
    ...EntityBase,
    kind: z.literal('bronze_silver'),
    /** `full`: each batch is the whole set (absent keys are closed in silver); `delta`: only changes. */
    load_type: z.enum(['full', 'delta']),
    /** The landing collection (of `system_id`) the records come from. */
    landing_entity: Identifier,
    processor: BronzeProcessor,
    tombstone: TombstoneRule.optional(),
    lookback: Lookback.optional(),
  })
  .refine((entity) => entity.lookback === undefined || entity.load_type === 'delta', {
    error: 'lookback is for delta loads (a full load reads the whole set every batch)',
    path: ['lookback'],
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

/** A look-back in milliseconds, as a connector is given it: how far to re-read, and how often (0: every run). */
export interface LookbackMs {
  readonly span_ms: number;
  readonly every_ms: number;
}

/**
 * The look-back each landing entity needs: over the entities that read it, the longest span and the shortest
 * interval (so every entity gets at least what it declared). Landing entities without one are left out.
 */
export function lookbackByLandingEntity(entities: readonly BronzeSilverEntity[]): Record<string, LookbackMs> {
  const byLanding: Record<string, LookbackMs> = {};
  for (const entity of entities) {
    if (entity.lookback === undefined) continue;
    const span_ms = durationMs(entity.lookback.span);
    const every_ms = entity.lookback.every === undefined ? 0 : durationMs(entity.lookback.every);
    const before = byLanding[entity.landing_entity];
    byLanding[entity.landing_entity] = before ? { span_ms: Math.max(before.span_ms, span_ms), every_ms: Math.min(before.every_ms, every_ms) } : { span_ms, every_ms };
  }
  return byLanding;
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
