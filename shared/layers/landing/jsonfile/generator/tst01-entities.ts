/**
 * The entities of the test system TST01, as the generator's oracle sees them: which landing records each one
 * reads and the rows it makes of a record. Written out by hand for TST01's shapes, independently of the bronze
 * processors, so the expected silver state checks them rather than repeats them. A unit test keeps this table
 * in step with `metadata/entities.json`.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../../../../core/json.ts';

/** A row in the model's column names, values as the column holds them (see docs/test-system.md, "Expected state"). */
export type OracleRow = Record<string, JsonValue>;

/** The landing entities (files) of TST01. */
export const TST01_LANDING_ENTITIES = ['customers', 'products', 'readings'] as const;
export type Tst01LandingEntity = (typeof TST01_LANDING_ENTITIES)[number];

export interface OracleEntity {
  readonly id: string;
  readonly model: string;
  readonly landing_entity: Tst01LandingEntity;
  readonly load_type: 'full' | 'delta';
  /** The bronze processor `entities.json` names (checked, not used). */
  readonly processor: string;
  /** The tombstone rule `entities.json` names: rows whose column equals the value delete their key. */
  readonly tombstone?: OracleTombstone;
  /** The entity's rows from one landing record, in list order. */
  rows(record: JsonObject): OracleRow[];
}

/** A row of an entity is a tombstone when `row[column] === equals`. */
export interface OracleTombstone {
  readonly column: string;
  readonly equals: string | number | boolean;
}

export const TST01_ENTITIES: readonly OracleEntity[] = [
  {
    id: 'test_customer',
    model: 'test_customer',
    landing_entity: 'customers',
    load_type: 'full',
    processor: 'as_is',
    rows: (customer) => {
      const address = objectAt(customer, 'address');
      return [
        {
          id: customer.id ?? null,
          name: customer.name ?? null,
          email: customer.email ?? null,
          tier: customer.tier ?? null,
          address_street: address.street ?? null,
          address_city: address.city ?? null,
          address_country: address.country ?? null,
          updated_at: customer.updated_at ?? null,
        },
      ];
    },
  },
  {
    id: 'test_customer_order',
    model: 'test_customer_order',
    landing_entity: 'customers',
    load_type: 'full',
    processor: 'explode_list',
    rows: (customer) =>
      listAt(customer, 'orders').map((order, index) => {
        const fields = isJsonObject(order) ? order : {};
        return {
          customer_id: customer.id ?? null,
          order_id: fields.order_id ?? null,
          list_index: index,
          ordered_at: fields.ordered_at ?? null,
          total: fields.total ?? null,
          currency: fields.currency ?? null,
        };
      }),
  },
  {
    id: 'test_customer_tag',
    model: 'test_customer_tag',
    landing_entity: 'customers',
    load_type: 'full',
    processor: 'explode_scalars',
    rows: (customer) => listAt(customer, 'tags').map((tag, index) => ({ customer_id: customer.id ?? null, list_index: index, value: tag })),
  },
  {
    id: 'test_customer_attribute',
    model: 'test_customer_attribute',
    landing_entity: 'customers',
    load_type: 'full',
    processor: 'explode_map',
    // `value` is a text column: numbers and booleans arrive as their JSON text
    rows: (customer) =>
      Object.entries(objectAt(customer, 'attributes')).map(([name, value]) => ({
        customer_id: customer.id ?? null,
        attribute_name: name,
        value: value === null ? null : typeof value === 'string' ? value : JSON.stringify(value),
      })),
  },
  {
    id: 'test_product',
    model: 'test_product',
    landing_entity: 'products',
    load_type: 'full',
    processor: 'drop_nested',
    rows: (product) => [{ sku: product.sku ?? null, name: product.name ?? null, price: product.price ?? null, active: product.active ?? null }],
  },
  {
    id: 'test_reading',
    model: 'test_reading',
    landing_entity: 'readings',
    load_type: 'delta',
    processor: 'unwrap_type',
    tombstone: { column: 'deleted', equals: true },
    rows: (wrapper) => {
      const [type, inner] = Object.entries(wrapper)[0] ?? ['', null];
      const reading = isJsonObject(inner) ? inner : {};
      return [
        {
          id: reading.id ?? null,
          reading_type: type,
          device: reading.device ?? null,
          measured_at: reading.measured_at ?? null,
          value: reading.value ?? null,
          deleted: reading.deleted ?? null,
        },
      ];
    },
  },
];

function objectAt(record: JsonObject, key: string): JsonObject {
  const value = record[key];
  return isJsonObject(value) ? value : {};
}

function listAt(record: JsonObject, key: string): JsonValue[] {
  const value = record[key];
  return Array.isArray(value) ? value : [];
}
