import { beforeAll, describe, expect, it } from 'vitest';
import { goldEntitiesOfSystem, goldEntitiesReading, resolveGoldEntity } from '../../../shared/layers/gold/gold-entity.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { projectMetadata } from './fixtures.ts';

let metadata: LoadedMetadata;

beforeAll(async () => {
  metadata = await projectMetadata();
});

/** The project's metadata with one gold entity record changed. */
function withGold(id: string, change: Record<string, unknown>): LoadedMetadata {
  return {
    ...metadata,
    entities: metadata.entities.map((entity) => (entity.id === id ? ({ ...entity, ...change } as typeof entity) : entity)),
  };
}

describe('gold entities of metadata/entities.json', () => {
  it('each resolves: a known processor, options it accepts, one source of each model it reads', () => {
    const gold = metadata.entities.filter((entity) => entity.kind === 'gold');
    expect(gold.map((entity) => entity.id)).toEqual(['test_customer_order_total', 'nightscout_daily_glucose', 'nightscout_glucose_forecast', 'bunq_monthly_spending']);
    expect(gold.map((entity) => Object.values(resolveGoldEntity(metadata, entity.id).sources))).toEqual([
      [
        { entity_id: 'test_customer', table: '"silver"."test_customer"' },
        { entity_id: 'test_customer_order', table: '"silver"."test_customer_order"' },
      ],
      [{ entity_id: 'nightscout_entry', table: '"silver"."nightscout_entry"' }],
      [{ entity_id: 'nightscout_entry', table: '"silver"."nightscout_entry"' }],
      [{ entity_id: 'bunq_payment', table: '"silver"."bunq_payment"' }],
    ]);
  });

  it('are chained from the silver entities they read, and counted in their systems gold layer', () => {
    expect(goldEntitiesReading(metadata, 'test_customer_order').map((entity) => entity.id)).toEqual(['test_customer_order_total']);
    expect(goldEntitiesReading(metadata, 'test_product')).toEqual([]);
    expect(goldEntitiesOfSystem(metadata, 'NSC01').map((entity) => entity.id)).toEqual(['nightscout_daily_glucose', 'nightscout_glucose_forecast']);
    expect(goldEntitiesOfSystem(metadata, 'BNQ01').map((entity) => entity.id)).toEqual(['bunq_monthly_spending']);
  });
});

describe('resolveGoldEntity', () => {
  it.each([
    ['an unknown entity', 'nope', 'unknown entity "nope"'],
    ['a bronze_silver entity', 'nightscout_entry', 'entity "nightscout_entry" is a bronze_silver entity; gold computes gold entities'],
  ])('refuses %s with a 404', (_case, id, message) => {
    expect(() => resolveGoldEntity(metadata, id)).toThrow(expect.objectContaining({ status: 404, message }));
  });

  it('names the processors it knows for an unknown one', () => {
    expect(() => resolveGoldEntity(withGold('bunq_monthly_spending', { processor: { name: 'yearly', options: {} } }), 'bunq_monthly_spending')).toThrow(
      'unknown gold processor "yearly" (known: daily_glucose_stats, glucose_forecast, monthly_spending, customer_order_totals)',
    );
  });

  it.each([
    [{ low_mg_dl: 70, extra: 1 }, 'entities.json › nightscout_daily_glucose: processor.options: Unrecognized key: "extra"'],
    [{ low_mg_dl: 200, high_mg_dl: 180 }, 'entities.json › nightscout_daily_glucose: processor.options: low_mg_dl must be below high_mg_dl'],
    [{ timezone: 'Mars/Olympus' }, 'entities.json › nightscout_daily_glucose: processor.options.timezone: expected an IANA time zone like "Europe/Amsterdam", got "Mars/Olympus"'],
  ])('refuses options the processor does not accept (%j), naming the entity and the path', (options, message) => {
    const broken = withGold('nightscout_daily_glucose', { processor: { name: 'daily_glucose_stats', options } });
    expect(() => resolveGoldEntity(broken, 'nightscout_daily_glucose')).toThrow(message);
  });

  it('refuses sources without an entity of a model the processor reads', () => {
    const broken = withGold('test_customer_order_total', { sources: ['test_customer'] });
    expect(() => resolveGoldEntity(broken, 'test_customer_order_total')).toThrow(
      'entities.json › test_customer_order_total › sources: processor "customer_order_totals" reads one entity of model "test_customer_order", the sources give 0 (test_customer)',
    );
  });
});
