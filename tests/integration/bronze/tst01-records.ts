/**
 * Small TST01 landing records covering every bronze pattern: customers (as_is with a nested address; orders,
 * tags and an attributes map for the child entities), products (drop_nested) and readings (unwrap_type).
 */
import type { JsonObject } from '../../../shared/core/json.ts';

export function customer(id: string, overrides: Partial<JsonObject> = {}): JsonObject {
  const n = Number(id.replace(/\D/g, '')) || 0;
  return {
    id,
    name: `Customer ${n}`,
    email: `c${n}@example.org`,
    tier: (['bronze', 'silver', 'gold'] as const)[n % 3]!,
    address: { street: `Main ${n}`, city: 'Utrecht', country: 'NL' },
    updated_at: '2026-03-01T10:00:00.123456Z',
    tags: n % 2 === 0 ? ['vip', 'early'] : ['new'],
    orders: Array.from({ length: n % 3 }, (_, index) => ({
      order_id: `${id}-o${index}`,
      ordered_at: `2026-02-0${index + 1}T09:00:00+01:00`,
      total: `${n}${index}.50`,
      currency: index % 2 === 0 ? 'EUR' : 'USD',
    })),
    attributes: { 'shoe.size': 40 + n, newsletter: n % 2 === 0 },
    ...overrides,
  };
}

export function product(sku: string, overrides: Partial<JsonObject> = {}): JsonObject {
  return {
    sku,
    name: `Product ${sku}`,
    price: '19.99',
    active: true,
    dimensions: { width_cm: 10, height_cm: 20 },
    variants: [{ colour: 'red', stock: 3 }],
    ...overrides,
  };
}

export function reading(id: number, type = 'Thermometer', value: JsonObject[string] = 21.5): JsonObject {
  return { [type]: { id, device: `sensor-${id % 2}`, measured_at: '2026-03-02 09:14:27.118204', value } };
}

/** The TST01 bronze entities, in metadata order. */
export const TST01_ENTITIES = [
  'test_customer',
  'test_customer_order',
  'test_customer_tag',
  'test_customer_attribute',
  'test_product',
  'test_reading',
] as const;

/** A small clean TST01 batch: 5 customers (0+1+2+0+1 = 4 orders, 7 tags, 10 attributes), 3 products, 4 readings. */
export function tst01Batch(): Record<string, JsonObject[]> {
  return {
    customers: ['c-3', 'c-4', 'c-5', 'c-6', 'c-7'].map((id) => customer(id)),
    products: ['p-1', 'p-2', 'p-3'].map((sku) => product(sku)),
    readings: [reading(1), reading(2, 'Hygrometer', 55), reading(3, 'Thermometer', '19.25'), reading(4)],
  };
}
