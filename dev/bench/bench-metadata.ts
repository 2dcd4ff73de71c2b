/**
 * The benchmark's own system (`BEN01`), its two entities and their models: customers (`as_is`, the address
 * flattened into `address_*`) and their orders (`explode_list` of `orders`), both full loads with data-quality
 * checks, validated by the platform's own metadata validation as `metadata/` would be.
 */
import * as z from 'zod';
import type { LoadedMetadata } from '../../shared/metadata/metadata-loader.ts';
import { column, type ModelRegistry } from '../../shared/metadata/model-dsl.ts';
import { requireValidMetadata } from '../../shared/metadata/validate-metadata.ts';

/** The benchmark system's id and its one landing entity. */
export const BENCH_SYSTEM = 'BEN01';
export const BENCH_LANDING_ENTITY = 'customers';
/** The entities bronze and silver run for, in the order they run. */
export const BENCH_ENTITIES = ['bench_customer', 'bench_customer_order'] as const;

const BenchCustomer = z.strictObject({
  id: column.text({ key: true }),
  name: column.text(),
  email: column.text({ scd: 1 }),
  tier: column.text(),
  score: column.numeric(),
  visits: column.integer({ scd: 1 }),
  active: column.boolean(),
  birth_date: column.date(),
  updated_at: column.timestamptz({ scd: 1 }),
  address_street: column.text(),
  address_city: column.text(),
  address_postcode: column.text(),
  address_country: column.text(),
});

const BenchCustomerOrder = z.strictObject({
  customer_id: column.text({ key: true }),
  order_id: column.text({ key: true }),
  list_index: column.integer({ scd: 1 }),
  placed_at: column.timestamptz(),
  total: column.numeric(),
  currency: column.text(),
  quantity: column.integer(),
});

/** The benchmark's models by name. */
export const benchModels: ModelRegistry = { bench_customer: BenchCustomer, bench_customer_order: BenchCustomerOrder };

const systems = [
  {
    id: BENCH_SYSTEM,
    name: 'Benchmark',
    description: 'Generated customers for npm run bench; its connector is dev/bench/bench-connector.ts.',
    type: 'jsonfile',
    enabled: true,
    connection: { path: '.local/bench/unused', format: 'jsonl' },
  },
];

const entities = [
  {
    id: 'bench_customer',
    description: 'Benchmark customers; the nested address flattens into address_* columns.',
    system_id: BENCH_SYSTEM,
    kind: 'bronze_silver',
    load_type: 'full',
    landing_entity: BENCH_LANDING_ENTITY,
    processor: { name: 'as_is' },
    model: 'bench_customer',
    quality: {
      row_count: { min: 1, max_change_pct: 50 },
      not_null: ['name', 'email'],
      accepted_values: [{ column: 'tier', values: ['bronze', 'silver', 'gold'] }],
      regex: [{ column: 'email', pattern: '^[^@\\s]+@[^@\\s]+$' }],
    },
  },
  {
    id: 'bench_customer_order',
    description: 'The orders list of a benchmark customer, one row per order.',
    system_id: BENCH_SYSTEM,
    kind: 'bronze_silver',
    load_type: 'full',
    landing_entity: BENCH_LANDING_ENTITY,
    processor: { name: 'explode_list', path: 'orders', parent_key: [{ column: 'customer_id', path: 'id' }], index_column: 'list_index' },
    model: 'bench_customer_order',
    quality: { not_null: ['total'], accepted_values: [{ column: 'currency', values: ['EUR', 'USD'] }] },
  },
];

/** The benchmark's metadata, validated like a deploy of `metadata/` (a problem here is a bug of the bench). */
export function benchMetadata(): LoadedMetadata {
  const validated = requireValidMetadata(
    { systems: JSON.stringify(systems), entities: JSON.stringify(entities), actions: '[]' },
    benchModels,
  );
  return { ...validated, generation: 'bench', deployed_at: new Date(0) };
}
