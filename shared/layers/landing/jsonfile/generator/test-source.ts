/**
 * The simulated source behind the test system TST01 (docs/test-system.md): customers with nested addresses,
 * order lists, tag lists and attribute maps; products with nested parts bronze drops; sensor readings wrapped in
 * their type. Batch after batch it changes, deterministically for a seed, so that every bronze pattern and every
 * silver case occurs: scripted events make sure of the cases (batches 1–6), random churn adds variety.
 */
import type { JsonObject } from '../../../../core/json.ts';
import { createSeededRandom, type SeededRandom } from './seeded-random.ts';

export const TIERS = ['bronze', 'silver', 'gold'] as const;
export type Tier = (typeof TIERS)[number];

export interface Order {
  order_id: string;
  ordered_at: string;
  /** Decimal text with two places, as a shop API sends money. */
  total: string;
  currency: 'EUR' | 'USD';
}

export interface Customer {
  id: string;
  name: string;
  email: string;
  tier: Tier;
  address: { street: string; city: string; country: string };
  updated_at: string;
  tags: string[];
  orders: Order[];
  /** Keys differ per customer (explode_map); one of them gets a dot, which landing must keep. */
  attributes: Record<string, string | number | boolean>;
}

export interface Product {
  sku: string;
  name: string;
  price: string;
  active: boolean;
  dimensions: { width_cm: number; height_cm: number };
  variants: { colour: string; stock: number }[];
}

export type ReadingType = 'Thermometer' | 'Hygrometer';

export interface Reading {
  type: ReadingType;
  id: number;
  device: string;
  measured_at: string;
  value: number;
  /** Sent as `true` when the source deleted the reading: a tombstone, the entity's tombstone rule. */
  deleted?: true;
}

/** One batch as the source delivers it: landing records per landing entity, and what happened, for people. */
export interface SourceBatch {
  readonly number: number;
  /** The batch folder's name, `batch-0001`. */
  readonly label: string;
  readonly records: { readonly customers: JsonObject[]; readonly products: JsonObject[]; readonly readings: JsonObject[] };
  readonly events: string[];
}

export interface SimulationOptions {
  readonly seed: number;
  readonly batches: number;
  /** Multiplies the number of customers, products and readings (default 1: 12 customers, 6 products, 20 readings). */
  readonly scale?: number;
}

/** The day of batch 1; batch n is n − 1 days later. Source timestamps fall on their batch's day. */
export const FIRST_BATCH_DAY = Date.parse('2026-01-05T00:00:00.000Z');

const FIRST_NAMES = ['Anna', 'Zoë', 'Łukasz', 'Anaïs', 'Bram', 'Fatima', 'Jürgen', 'Mei', 'Sven', 'Noor', 'Oğuz', 'Inês'];
const LAST_NAMES = ['de Vries', 'Ångström', 'Żmuda', 'Janssen', 'El Amrani', 'Müller', 'Chen', 'Bakker', "O'Neill", 'Smit'];
const STREETS = ['Lindenlaan', 'Kerkstraat', 'Dorpsweg', 'Stationsplein', 'Molenweg', 'Havenkade'];
const CITIES = [
  ['Utrecht', 'NL'],
  ['Zwolle', 'NL'],
  ["'s-Hertogenbosch", 'NL'],
  ['Antwerpen', 'BE'],
  ['Köln', 'DE'],
] as const;
const TAGS = ['newsletter', 'vip', 'b2b', 'early-adopter', 'returns-often'];
const ATTRIBUTE_KEYS = ['favourite_colour', 'shoe_size', 'newsletter_opt_in', 'pets'];
const COLOURS = ['green', 'black', 'ochre', 'teal'];
const PRODUCT_NAMES = ['Desk lamp', 'Chair', 'Bookshelf', 'Mug', 'Notebook', 'Plant pot', 'Rug', 'Clock'];
const DEVICES = ['living-room', 'kitchen', 'bedroom', 'attic'];

/** Simulates the source for `batches` batches; the first n batches are the same whatever `batches` is. */
export function simulateTestSource(options: SimulationOptions): SourceBatch[] {
  const world = new TestSourceWorld(createSeededRandom(options.seed), Math.max(1, Math.floor(options.scale ?? 1)));
  const batches: SourceBatch[] = [];
  for (let number = 1; number <= options.batches; number += 1) batches.push(world.nextBatch(number));
  return batches;
}

/** The batch folder name of batch `number`. */
export function batchLabel(number: number): string {
  return `batch-${String(number).padStart(4, '0')}`;
}

class TestSourceWorld {
  private readonly customers = new Map<string, Customer>();
  private readonly removedCustomers = new Map<string, Customer>();
  private readonly products = new Map<string, Product>();
  private readonly removedProducts = new Map<string, Product>();
  /** The last copy of every reading sent before this batch, by id. */
  private readonly sentReadings = new Map<number, Reading>();
  /** Reading ids sent in this batch: a correction never hits one by accident (a duplicate is scripted, once). */
  private readonly batchReadingIds = new Set<number>();
  /** Readings the source deleted (sent as tombstones): never corrected afterwards. */
  private readonly deletedReadingIds = new Set<number>();
  private customerCount = 0;
  private productCount = 0;
  private orderCount = 0;
  private readingCount = 0;
  private events: string[] = [];
  private batch = 0;

  constructor(
    private readonly random: SeededRandom,
    private readonly scale: number,
  ) {}

  nextBatch(number: number): SourceBatch {
    this.batch = number;
    this.events = [];
    this.batchReadingIds.clear();
    let readings: Reading[];
    if (number === 1) {
      for (let i = 0; i < 12 * this.scale; i += 1) this.addCustomer(false);
      for (let i = 0; i < 6 * this.scale; i += 1) this.addProduct(false);
      readings = this.newReadings(20 * this.scale);
      this.events.push(`first full extract: ${this.customers.size} customers, ${this.products.size} products, ${readings.length} readings`);
    } else {
      readings = this.scripted(number);
      if (number !== 5) readings = [...readings, ...this.churn(number)];
    }
    for (const reading of readings) this.sentReadings.set(reading.id, reading);
    return {
      number,
      label: batchLabel(number),
      records: {
        customers: [...this.customers.values()].sort((a, b) => compareText(a.id, b.id)).map(customerRecord),
        products: [...this.products.values()].sort((a, b) => compareText(a.sku, b.sku)).map(productRecord),
        readings: readings.map(readingRecord),
      },
      events: this.events,
    };
  }

  /** The cases every generated data set covers, each in a fixed batch. */
  private scripted(number: number): Reading[] {
    switch (number) {
      case 2:
        this.addCustomer(true);
        this.fixEmail(this.customer('C0002'));
        this.renameProduct(this.product('P-0002'));
        this.changeTier(this.customer('C0004'));
        return [];
      case 3:
        this.removeCustomer('C0003');
        this.removeProduct('P-0005');
        this.dropFirstOrder(this.customer('C0001'));
        return [this.correctReadingValue(), this.moveReadingDevice()];
      case 4: {
        this.addDottedAttribute(this.customer('C0005'));
        this.moveCustomer(this.customer('C0006'));
        const [original, ...others] = this.newReadings(3);
        const resent = { ...(original as Reading), value: round1((original as Reading).value + 0.7) };
        this.events.push(`reading ${resent.id} sent twice in this batch; the later copy (value ${resent.value}) wins`);
        return [original as Reading, ...others, resent];
      }
      case 5:
        this.restoreCustomer('C0003');
        this.restoreProduct('P-0005');
        this.events.push('no readings in this batch: an empty delta');
        return [];
      case 6:
        this.fixEmail(this.customer('C0007'));
        this.changeTier(this.customer('C0007'));
        this.clearTags(this.customer('C0008'));
        this.addProduct(true);
        return [this.deleteReading(), this.editFirstReading(), this.lateReading(), this.tombstoneOfUnsent()];
      default:
        return [];
    }
  }

  /** Random changes on top of the scripted ones, from batch 2 on (none in the empty batch 5). */
  private churn(number: number): Reading[] {
    const present = (): Customer[] => [...this.customers.values()];
    if (this.random.chance(0.6)) this.changeTier(this.random.pick(present()));
    for (const customer of this.random.sample(present(), this.random.int(1, 2))) this.addOrder(customer);
    this.changeAttribute(this.random.pick(present()));
    if (this.random.chance(0.3)) this.addCustomer(true);
    if (this.random.chance(0.5)) this.changePrice(this.random.pick([...this.products.values()]));
    if (number >= 7 && this.random.chance(0.3) && this.customers.size > 10 * this.scale) {
      this.removeCustomer(this.random.pick(present()).id);
    }
    if (number >= 7 && this.removedCustomers.size > 0 && this.random.chance(0.5)) {
      this.restoreCustomer(this.random.pick([...this.removedCustomers.keys()]));
    }
    const readings = this.newReadings(this.random.int(10, 20) * this.scale);
    if (this.random.chance(0.3)) readings.push(this.correctReadingValue());
    return readings;
  }

  private at(minutes: number): string {
    return new Date(FIRST_BATCH_DAY + (this.batch - 1) * 86_400_000 + minutes * 60_000).toISOString();
  }

  private customer(id: string): Customer {
    const found = this.customers.get(id);
    if (!found) throw new Error(`generator: customer ${id} is not present in batch ${this.batch}`);
    return found;
  }

  private product(sku: string): Product {
    const found = this.products.get(sku);
    if (!found) throw new Error(`generator: product ${sku} is not present in batch ${this.batch}`);
    return found;
  }

  private addCustomer(announce: boolean): void {
    this.customerCount += 1;
    const number = this.customerCount;
    const id = `C${String(number).padStart(4, '0')}`;
    const [city, country] = this.random.pick(CITIES);
    const customer: Customer = {
      id,
      name: `${this.random.pick(FIRST_NAMES)} ${this.random.pick(LAST_NAMES)}`,
      email: `customer${number}@example.org`,
      tier: this.random.pick(TIERS),
      address: { street: `${this.random.pick(STREETS)} ${this.random.int(1, 120)}`, city, country },
      updated_at: this.at(number),
      tags: this.random.sample(TAGS, 1 + (number % 3)),
      orders: [],
      attributes: {},
    };
    for (const key of this.random.sample(ATTRIBUTE_KEYS, this.random.int(1, 3))) customer.attributes[key] = this.attributeValue(key);
    const orders = this.random.int(1, 3);
    for (let i = 0; i < orders; i += 1) customer.orders.push(this.newOrder());
    this.customers.set(id, customer);
    if (announce) this.events.push(`${id} is new (inserts in test_customer and its child entities)`);
  }

  private attributeValue(key: string): string | number | boolean {
    if (key === 'shoe_size') return this.random.int(36, 47);
    if (key === 'newsletter_opt_in') return this.random.chance(0.5);
    if (key === 'pets') return this.random.int(0, 3);
    return this.random.pick(COLOURS);
  }

  private newOrder(): Order {
    this.orderCount += 1;
    return {
      order_id: `O${String(this.orderCount).padStart(6, '0')}`,
      ordered_at: this.at(this.random.int(60, 1_000)),
      total: cents(this.random.int(199, 25_000)),
      currency: this.random.chance(0.8) ? 'EUR' : 'USD',
    };
  }

  private fixEmail(customer: Customer): void {
    customer.email = `${customer.id.toLowerCase()}.corrected@example.org`;
    customer.updated_at = this.at(5);
    this.events.push(`${customer.id} email corrected (SCD1: overwritten on every version)`);
  }

  private changeTier(customer: Customer): void {
    const tier = TIERS[(TIERS.indexOf(customer.tier) + 1) % TIERS.length] as Tier;
    this.events.push(`${customer.id} tier ${customer.tier} → ${tier} (SCD2: a new version)`);
    customer.tier = tier;
  }

  private moveCustomer(customer: Customer): void {
    const [city, country] = CITIES[(CITIES.findIndex(([name]) => name === customer.address.city) + 1) % CITIES.length] as (typeof CITIES)[number];
    customer.address = { street: `${this.random.pick(STREETS)} ${this.random.int(1, 120)}`, city, country };
    this.events.push(`${customer.id} moved to ${city} (SCD2 through the nested address)`);
  }

  private addOrder(customer: Customer): void {
    const order = this.newOrder();
    customer.orders.push(order);
    this.events.push(`${customer.id} placed order ${order.order_id}`);
  }

  private dropFirstOrder(customer: Customer): void {
    if (customer.orders.length < 2) customer.orders.push(this.newOrder());
    const dropped = customer.orders.shift() as Order;
    this.events.push(`${customer.id} order ${dropped.order_id} gone from the list (deleted); later orders move up (list_index, SCD1)`);
  }

  private clearTags(customer: Customer): void {
    customer.tags = [];
    this.events.push(`${customer.id} has no tags any more (its test_customer_tag keys are deleted)`);
  }

  private changeAttribute(customer: Customer): void {
    const key = this.random.pick(ATTRIBUTE_KEYS);
    const had = Object.hasOwn(customer.attributes, key);
    const value = this.attributeValue(key);
    customer.attributes[key] = value;
    this.events.push(`${customer.id} attribute ${key} ${had ? 'set to' : 'added:'} ${JSON.stringify(value)}`);
  }

  private addDottedAttribute(customer: Customer): void {
    customer.attributes['pref.language'] = 'nl';
    this.events.push(`${customer.id} attribute "pref.language" added: a dotted key, which landing stores as JSON text`);
  }

  private removeCustomer(id: string): void {
    const customer = this.customer(id);
    this.customers.delete(id);
    this.removedCustomers.set(id, customer);
    this.events.push(`${id} missing from the full extract (deleted, with its orders, tags and attributes)`);
  }

  private restoreCustomer(id: string): void {
    const customer = this.removedCustomers.get(id);
    if (!customer) throw new Error(`generator: customer ${id} was not removed`);
    this.removedCustomers.delete(id);
    this.customers.set(id, customer);
    this.events.push(`${id} is back, unchanged (a new version after the delete)`);
  }

  private addProduct(announce: boolean): void {
    this.productCount += 1;
    const sku = `P-${String(this.productCount).padStart(4, '0')}`;
    const product: Product = {
      sku,
      name: this.random.pick(PRODUCT_NAMES),
      price: cents(this.random.int(250, 20_000)),
      active: true,
      dimensions: { width_cm: this.random.int(5, 120), height_cm: this.random.int(5, 200) },
      variants: this.random.sample(COLOURS, this.random.int(0, 2)).map((colour) => ({ colour, stock: this.random.int(0, 40) })),
    };
    this.products.set(sku, product);
    if (announce) this.events.push(`product ${sku} is new`);
  }

  private renameProduct(product: Product): void {
    product.name = `${product.name} (v2)`;
    this.events.push(`product ${product.sku} renamed (SCD1)`);
  }

  private changePrice(product: Product): void {
    product.price = cents(this.random.int(250, 20_000));
    product.active = !this.random.chance(0.2);
    this.events.push(`product ${product.sku} price ${product.price}, active ${product.active} (SCD2)`);
  }

  private removeProduct(sku: string): void {
    this.removedProducts.set(sku, this.product(sku));
    this.products.delete(sku);
    this.events.push(`product ${sku} missing from the full extract (deleted)`);
  }

  private restoreProduct(sku: string): void {
    const product = this.removedProducts.get(sku);
    if (!product) throw new Error(`generator: product ${sku} was not removed`);
    this.removedProducts.delete(sku);
    product.price = cents(Math.round(Number(product.price.replace('.', '')) * 1.1));
    this.products.set(sku, product);
    this.events.push(`product ${sku} is back with price ${product.price}`);
  }

  private newReadings(count: number): Reading[] {
    const readings: Reading[] = [];
    for (let i = 0; i < count; i += 1) {
      this.readingCount += 1;
      this.batchReadingIds.add(100_000 + this.readingCount);
      const type: ReadingType = this.random.chance(0.6) ? 'Thermometer' : 'Hygrometer';
      readings.push({
        type,
        id: 100_000 + this.readingCount,
        device: this.random.pick(DEVICES),
        measured_at: this.at(i * 7),
        value: type === 'Thermometer' ? round1(15 + this.random.next() * 10) : round1(35 + this.random.next() * 30),
      });
    }
    return readings;
  }

  /** An earlier reading not yet sent in this batch, and not deleted. */
  private earlierReading(): Reading {
    const candidates = [...this.sentReadings.values()].filter((reading) => !this.batchReadingIds.has(reading.id) && !this.deletedReadingIds.has(reading.id));
    const earlier = this.random.pick(candidates);
    this.batchReadingIds.add(earlier.id);
    return earlier;
  }

  /** An earlier reading sent again with a new value: the source corrected it (SCD2 on a delta entity). */
  private correctReadingValue(): Reading {
    const earlier = this.earlierReading();
    const corrected = { ...earlier, value: round1(earlier.value - 1.3) };
    this.events.push(`reading ${earlier.id} corrected to ${corrected.value} (SCD2 in a delta load)`);
    return corrected;
  }

  /** An earlier reading sent again as a tombstone: the source deleted it (closed and flagged in a delta load). */
  private deleteReading(): Reading {
    const earlier = this.earlierReading();
    this.deletedReadingIds.add(earlier.id);
    this.events.push(`reading ${earlier.id} deleted at the source (a tombstone: closed and flagged deleted in a delta load)`);
    return { ...earlier, deleted: true };
  }

  /** The first reading of batch 1, edited days later (SCD2 on an old record in a delta load). */
  private editFirstReading(): Reading {
    const first = [...this.sentReadings.values()].filter((reading) => !this.deletedReadingIds.has(reading.id)).sort((a, b) => a.id - b.id)[0] as Reading;
    this.batchReadingIds.add(first.id);
    const edited = { ...first, value: round1(first.value + 2.1) };
    this.events.push(`reading ${first.id} from batch-0001 edited ${this.batch - 1} days later to ${edited.value} (SCD2 on an old record)`);
    return edited;
  }

  /** A new reading measured two days before this batch, sent only now (a late arrival: a new key, whatever its time). */
  private lateReading(): Reading {
    const [reading] = this.newReadings(1);
    const late = { ...(reading as Reading), measured_at: this.at(-2 * 24 * 60 + 30) };
    this.events.push(`reading ${late.id}, measured two days ago, arrives late (a new version like any new key)`);
    return late;
  }

  /** A tombstone of a reading the platform never received (created and deleted between two batches): no change. */
  private tombstoneOfUnsent(): Reading {
    const [reading] = this.newReadings(1);
    this.deletedReadingIds.add((reading as Reading).id);
    this.events.push(`reading ${(reading as Reading).id} deleted before it was ever sent: its tombstone changes nothing`);
    return { ...(reading as Reading), deleted: true };
  }

  /** An earlier reading sent again with another device name (SCD1). */
  private moveReadingDevice(): Reading {
    const earlier = this.earlierReading();
    const moved = { ...earlier, device: `${earlier.device}-2` };
    this.events.push(`reading ${earlier.id} device renamed to ${moved.device} (SCD1)`);
    return moved;
  }
}

function customerRecord(customer: Customer): JsonObject {
  return {
    id: customer.id,
    name: customer.name,
    email: customer.email,
    tier: customer.tier,
    address: { ...customer.address },
    updated_at: customer.updated_at,
    tags: [...customer.tags],
    orders: customer.orders.map((order) => ({ ...order })),
    attributes: { ...customer.attributes },
  };
}

function productRecord(product: Product): JsonObject {
  return {
    sku: product.sku,
    name: product.name,
    price: product.price,
    active: product.active,
    dimensions: { ...product.dimensions },
    variants: product.variants.map((variant) => ({ ...variant })),
  };
}

function readingRecord(reading: Reading): JsonObject {
  const fields = { id: reading.id, device: reading.device, measured_at: reading.measured_at, value: reading.value };
  return { [reading.type]: reading.deleted ? { ...fields, deleted: true } : fields };
}

/** Money as decimal text with two places, from integer cents (no float rounding). */
function cents(amount: number): string {
  return `${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
