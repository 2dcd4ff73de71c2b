import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { Entity } from '../../../shared/metadata/entity-schema.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import type { ExpectedSilverRow } from '../../../shared/layers/landing/jsonfile/generator/silver-oracle.ts';
import { simulateTestSource } from '../../../shared/layers/landing/jsonfile/generator/test-source.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';

let root: string;
let first: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dp-generator-'));
  first = join(root, 'first');
  await generateTestData({ seed: 42, batches: 6, out: first, models });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` with its bytes, by relative path. */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(relative(dir, path), await readFile(path));
    }
  }
  return files;
}

async function expected(batch: string, entity: string): Promise<ExpectedSilverRow[]> {
  return JSON.parse(await readFile(join(first, batch, 'expected', 'silver', `${entity}.json`), 'utf8')) as ExpectedSilverRow[];
}

async function lines(batch: string, landingEntity: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(first, batch, `${landingEntity}.jsonl`), 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('generateTestData', () => {
  it('writes byte-identical files for the same seed', async () => {
    const second = join(root, 'second');
    await generateTestData({ seed: 42, batches: 6, out: second, models });
    const [a, b] = await Promise.all([snapshot(first), snapshot(second)]);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [path, bytes] of a) expect(b.get(path)?.equals(bytes), path).toBe(true);
    expect(a.size).toBe(1 + 6 * (3 + 1 + TST01_ENTITIES.length));
  });

  it('writes other data for another seed', async () => {
    const other = join(root, 'other');
    await generateTestData({ seed: 43, batches: 1, out: other, models });
    const [a, b] = await Promise.all([readFile(join(first, 'batch-0001', 'customers.jsonl')), readFile(join(other, 'batch-0001', 'customers.jsonl'))]);
    expect(a.equals(b)).toBe(false);
  });

  it('extends fewer batches with more without changing them', async () => {
    const short = join(root, 'short');
    await generateTestData({ seed: 42, batches: 3, out: short, models });
    const [a, b] = await Promise.all([snapshot(first), snapshot(short)]);
    for (const [path, bytes] of b) {
      if (path !== 'generator.json') expect(a.get(path)?.equals(bytes), path).toBe(true);
    }
  });

  it('keeps a batch folder that is there, and writes only the missing ones', async () => {
    const kept = join(root, 'kept');
    await generateTestData({ seed: 42, batches: 2, out: kept, models });
    const before = await stat(join(kept, 'batch-0002', 'customers.jsonl'));
    const generated = await generateTestData({ seed: 42, batches: 3, out: kept, models });
    expect(generated.map((batch) => [batch.label, batch.written])).toEqual([['batch-0001', false], ['batch-0002', false], ['batch-0003', true]]);
    expect((await stat(join(kept, 'batch-0002', 'customers.jsonl'))).mtimeMs).toBe(before.mtimeMs);
    const [made, reference] = await Promise.all([snapshot(kept), snapshot(first)]);
    for (const [path, bytes] of made) if (path !== 'generator.json') expect(reference.get(path)?.equals(bytes), path).toBe(true);
  });

  it.each([
    ['with the hash its manifest recorded', false],
    ['written before manifests recorded hashes', true],
  ])('refuses to extend a folder whose kept batch is not what it makes (%s)', async (_case, withoutHashes) => {
    const stale = join(root, `stale-${String(withoutHashes)}`);
    await generateTestData({ seed: 42, batches: 2, out: stale, models });
    // What another version of the generator leaves: other files and, when it recorded one, another hash.
    await writeFile(join(stale, 'batch-0002', 'customers.jsonl'), '{"id":"from another generator"}\n');
    const manifest = JSON.parse(await readFile(join(stale, 'generator.json'), 'utf8')) as { landing_sha256?: Record<string, string> };
    if (withoutHashes) delete manifest.landing_sha256;
    else manifest.landing_sha256 = { ...manifest.landing_sha256, 'batch-0002': 'f'.repeat(64) };
    await writeFile(join(stale, 'generator.json'), JSON.stringify(manifest));
    await expect(generateTestData({ seed: 42, batches: 3, out: stale, models })).rejects.toThrow(
      `${stale}/batch-0002 holds other data than this generator makes for batch-0002: it was written by another version of the generator.`,
    );
    expect((await readdir(stale)).filter((name) => name.startsWith('batch-'))).toEqual(['batch-0001', 'batch-0002']);
  });

  it('writes each folder once when two generators race for the same folder', async () => {
    const raced = join(root, 'raced');
    const [a, b] = await Promise.all([1, 2].map(() => generateTestData({ seed: 42, batches: 6, out: raced, models })));
    for (const [index, batch] of (a ?? []).entries()) expect([batch.written, b?.[index]?.written].filter(Boolean), batch.label).toHaveLength(1);
    const [made, reference] = await Promise.all([snapshot(raced), snapshot(first)]);
    expect([...made.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [path, bytes] of reference) expect(made.get(path)?.equals(bytes), path).toBe(true);
  });

  it('refuses to mix a second seed into a folder', async () => {
    await expect(generateTestData({ seed: 1, batches: 1, out: first, models })).rejects.toThrow('holds test data of seed 42, scale 1');
  });
});

describe('the generated data set covers', () => {
  it('a customer deleted by a full load that comes back as a new version', async () => {
    const after3 = (await expected('batch-0003', 'test_customer')).filter((row) => row.id === 'C0003');
    expect(after3).toMatchObject([{ _dp_valid_from: 'batch-0001', _dp_valid_to: 'batch-0003', _dp_is_current: true, _dp_is_deleted: true }]);
    const after5 = (await expected('batch-0005', 'test_customer')).filter((row) => row.id === 'C0003');
    expect(after5).toMatchObject([
      { _dp_valid_from: 'batch-0001', _dp_valid_to: 'batch-0003', _dp_is_current: false, _dp_is_deleted: true },
      { _dp_valid_from: 'batch-0005', _dp_valid_to: null, _dp_is_current: true, _dp_is_deleted: false },
    ]);
    // its child rows go and come back with it
    const orders = (await expected('batch-0005', 'test_customer_order')).filter((row) => row.customer_id === 'C0003');
    expect(orders.some((row) => row._dp_is_deleted)).toBe(true);
    expect(orders.some((row) => row._dp_valid_from === 'batch-0005' && row._dp_is_current)).toBe(true);
  });

  it('an SCD1 correction that rewrites every version of the key', async () => {
    const versions = (await expected('batch-0006', 'test_customer')).filter((row) => row.id === 'C0007');
    expect(versions.length).toBeGreaterThanOrEqual(2);
    for (const version of versions) expect(version.email).toBe('c0007.corrected@example.org');
    expect(versions.filter((version) => version._dp_is_current)).toHaveLength(1);
  });

  it('SCD2 changes through a nested object (the address)', async () => {
    const versions = (await expected('batch-0004', 'test_customer')).filter((row) => row.id === 'C0006');
    const cities = new Set(versions.map((version) => version.address_city));
    expect(cities.size).toBeGreaterThanOrEqual(2);
  });

  it('a list element that disappears (an order) and list indexes that move (SCD1)', async () => {
    const orders = (await expected('batch-0003', 'test_customer_order')).filter((row) => row.customer_id === 'C0001');
    expect(orders.filter((row) => row._dp_is_deleted)).toHaveLength(1);
    const open = orders.filter((row) => row._dp_valid_to === null).map((row) => row.list_index);
    expect(open).toEqual([...open.keys()]);
  });

  it('a duplicate key inside a delta batch, the later record winning', async () => {
    const readings = await lines('batch-0004', 'readings');
    const ids = readings.map((wrapper) => (Object.values(wrapper)[0] as { id: number }).id);
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    expect(duplicate).toBeDefined();
    const last = readings.filter((wrapper) => (Object.values(wrapper)[0] as { id: number }).id === duplicate).at(-1);
    const version = (await expected('batch-0004', 'test_reading')).find((row) => row.id === duplicate);
    expect(version).toMatchObject({ value: (Object.values(last ?? {})[0] as { value: number }).value, _dp_is_current: true });
  });

  it('an empty delta batch that changes nothing for the delta entity', async () => {
    expect(await lines('batch-0005', 'readings')).toEqual([]);
    expect(await expected('batch-0005', 'test_reading')).toEqual(await expected('batch-0004', 'test_reading'));
  });

  it('a reading deleted at the source (a tombstone in a delta load), closed and flagged', async () => {
    const readings = await lines('batch-0006', 'readings');
    const tombstones = readings.map((wrapper) => Object.values(wrapper)[0] as { id: number; deleted?: boolean }).filter((reading) => reading.deleted === true);
    expect(tombstones).toHaveLength(2);
    const rows = await expected('batch-0006', 'test_reading');
    const [deleted, neverSent] = tombstones.map((tombstone) => rows.filter((row) => row.id === tombstone.id));
    expect(deleted).toEqual([expect.objectContaining({ _dp_valid_to: 'batch-0006', _dp_is_current: true, _dp_is_deleted: true, deleted: null })]);
    // the other was deleted before it was ever sent: its tombstone leaves nothing
    expect(neverSent).toEqual([]);
  });

  it('an old reading edited days later, and a reading measured days ago that arrives late', async () => {
    const rows = await expected('batch-0006', 'test_reading');
    const openedNow = rows.filter((row) => row._dp_valid_from === 'batch-0006');
    const fromBatch1 = new Set(rows.filter((row) => row._dp_valid_from === 'batch-0001').map((row) => row.id));
    // an edit: a new version of a key first seen five batches earlier
    expect(openedNow.some((row) => fromBatch1.has(row.id))).toBe(true);
    // a late arrival: a new key measured two days before its batch's day (2026-01-10)
    const twoDaysBefore = Date.parse('2026-01-08T01:00:00.000Z');
    expect(openedNow.some((row) => !fromBatch1.has(row.id) && Date.parse(String(row.measured_at)) <= twoDaysBefore)).toBe(true);
  });

  it('a dotted map key, which landing must keep as it is', async () => {
    const customers = await lines('batch-0004', 'customers');
    expect(customers.find((customer) => customer.id === 'C0005')).toMatchObject({ attributes: { 'pref.language': 'nl' } });
    const attributes = await expected('batch-0004', 'test_customer_attribute');
    expect(attributes).toContainEqual(expect.objectContaining({ customer_id: 'C0005', attribute_name: 'pref.language', value: 'nl' }));
  });

  it('every bronze pattern of TST01 with rows in every batch, and values its quality checks accept', () => {
    const batches = simulateTestSource({ seed: 42, batches: 8 });
    for (const batch of batches) {
      for (const entity of TST01_ENTITIES) {
        const rows = batch.records[entity.landing_entity].flatMap((record) => entity.rows(record));
        if (entity.load_type === 'full') expect(rows.length, `${batch.label} ${entity.id}`).toBeGreaterThan(0);
      }
      for (const customer of batch.records.customers) {
        expect(['bronze', 'silver', 'gold']).toContain(customer.tier);
        expect(customer.email).toMatch(/^[^@\s]+@[^@\s]+$/);
      }
    }
  });
});

describe('TST01_ENTITIES', () => {
  it('says what metadata/entities.json says about TST01', async () => {
    const records = JSON.parse(await readFile('metadata/entities.json', 'utf8')) as unknown[];
    const tst01 = records
      .map((record) => Entity.parse(record))
      .flatMap((entity) => (entity.kind === 'bronze_silver' && entity.system_id === 'TST01' ? [entity] : []));
    const fromMetadata = tst01.map((entity) => ({
      id: entity.id,
      model: entity.model,
      landing_entity: entity.landing_entity,
      load_type: entity.load_type,
      processor: entity.processor.name,
      tombstone: entity.tombstone,
    }));
    const fromOracle = TST01_ENTITIES.map(({ id, model, landing_entity, load_type, processor, tombstone }) => ({ id, model, landing_entity, load_type, processor, tombstone }));
    expect(fromOracle).toEqual(fromMetadata);
  });
});
