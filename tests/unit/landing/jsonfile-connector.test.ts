import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { ConfigurationError, DataRejectedError, InvalidPayloadError, NotFoundError } from '../../../shared/errors.ts';
import type { ConnectorBatch, ConnectorCursor, LandingItem, ResolvedSystem } from '../../../shared/layers/landing/connector.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { createJsonFileConnector } from '../../../shared/layers/landing/jsonfile/jsonfile-connector.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dp-jsonfile-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const window = { start: new Date('2026-03-01T00:00:00Z'), end: new Date('2026-03-02T00:00:00Z') };

function system(format: 'json' | 'jsonl' = 'jsonl', path = root, canary = false): ResolvedSystem<'jsonfile'> {
  return { id: 'TST09', name: 'Test', description: '', timezone: 'UTC', enabled: true, events: [], type: 'jsonfile', connection: { path, format, canary } };
}

async function batchFolder(name: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(root, name), { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(root, name, file), text);
}

function open(
  options: {
    cursor?: ConnectorCursor;
    options?: Record<string, string>;
    landing_entities?: string[];
    format?: 'json' | 'jsonl';
    path?: string;
    baseDir?: string;
    canary?: boolean;
  } = {},
): Promise<ConnectorBatch> {
  return createJsonFileConnector(options.baseDir === undefined ? {} : { baseDir: options.baseDir }).openBatch({
    system: system(options.format, options.path, options.canary),
    batch_id: '01968f1e-0000-7000-8000-000000000000',
    batch_timestamp: window.end,
    landing_entities: options.landing_entities ?? ['customers'],
    cursor: options.cursor,
    window,
    options: options.options ?? {},
    log: pino({ level: 'silent' }),
  });
}

async function collect(batch: ConnectorBatch): Promise<LandingItem[]> {
  if (batch.kind !== 'records') throw new Error(`expected records, got ${batch.kind}`);
  const items: LandingItem[] = [];
  for await (const item of batch.records) items.push(item);
  return items;
}

const cursorAt = (position: string): ConnectorCursor => ({ window_start: null, window_end: window.start, position });

describe('jsonfile connector', () => {
  it('lands the first batch folder when there is no cursor, file by file, line by line', async () => {
    await batchFolder('batch-0002', { 'customers.jsonl': '{"id":"late"}\n' });
    await batchFolder('batch-0001', { 'customers.jsonl': '{"id":"a"}\n\n{"id":"b"}\r\n', 'products.jsonl': '{"sku":"p"}\n' });
    const batch = await open();
    expect(batch).toMatchObject({ kind: 'records', description: 'batch-0001' });
    expect(await collect(batch)).toEqual([
      { landing_entity: 'customers', record: { id: 'a' } },
      { landing_entity: 'customers', record: { id: 'b' } },
      { landing_entity: 'products', record: { sku: 'p' } },
    ]);
    expect(batch.kind === 'records' && batch.nextCursor()).toEqual({ window_start: window.start, window_end: window.end, position: 'batch-0001' });
  });

  it('lands the folder after the cursor, ordering folders by number', async () => {
    for (const name of ['batch-9', 'batch-10', 'batch-0011']) await batchFolder(name, { 'customers.jsonl': `{"from":"${name}"}\n` });
    expect(await collect(await open({ cursor: cursorAt('batch-9') }))).toEqual([{ landing_entity: 'customers', record: { from: 'batch-10' } }]);
  });

  it('has nothing new when no folder follows the cursor', async () => {
    await batchFolder('batch-0001', { 'customers.jsonl': '' });
    expect(await open({ cursor: cursorAt('batch-0001') })).toEqual({ kind: 'nothing_new', reason: `no batch folder after batch-0001 in ${root}` });
    expect(await open({ path: join(root, 'missing') })).toEqual({ kind: 'nothing_new', reason: `no batch folder in ${join(root, 'missing')}` });
  });

  it('lands a folder it is given, and moves the cursor only forward', async () => {
    await batchFolder('batch-0001', { 'customers.jsonl': '{"n":1}\n' });
    await batchFolder('batch-0002', { 'customers.jsonl': '{"n":2}\n' });
    const replay = await open({ cursor: cursorAt('batch-0002'), options: { batch: 'batch-0001' } });
    expect(await collect(replay)).toEqual([{ landing_entity: 'customers', record: { n: 1 } }]);
    expect(replay.kind === 'records' && replay.nextCursor()).toBeUndefined();
    await expect(open({ options: { batch: 'batch-0007' } })).rejects.toThrow(NotFoundError);
    await expect(open({ options: { batch: '../etc' } })).rejects.toThrow(InvalidPayloadError);
    await expect(open({ options: { folder: 'batch-0001' } })).rejects.toThrow('jsonfile options: (root): Unrecognized key: "folder"');
  });

  it('fails a folder without a file for a landing entity the entities read', async () => {
    await batchFolder('batch-0001', { 'customers.jsonl': '' });
    await expect(open({ landing_entities: ['customers', 'products'] })).rejects.toThrow(new DataRejectedError('batch-0001 has no file for products.jsonl'));
  });

  it('names the file and line of a record that is not JSON, without quoting it', async () => {
    await batchFolder('batch-0001', { 'customers.jsonl': '{"id":"a"}\n{"id": secret-looking-text}\n' });
    const batch = await open();
    const read: LandingItem[] = [];
    const error = await (async () => {
      if (batch.kind !== 'records') return undefined;
      for await (const item of batch.records) read.push(item);
      return undefined;
    })().catch((caught: unknown) => caught);
    expect(read).toHaveLength(1);
    expect(error).toBeInstanceOf(DataRejectedError);
    expect((error as Error).message).toBe('batch-0001/customers.jsonl line 2: not JSON');
  });

  it('reads .json arrays when the system says so, and refuses anything else in them', async () => {
    await batchFolder('batch-0001', { 'customers.json': '\uFEFF[{"id":"a"},{"id":"b"}]', 'customers.jsonl': '{"ignored":true}\n' });
    expect(await collect(await open({ format: 'json' }))).toEqual([
      { landing_entity: 'customers', record: { id: 'a' } },
      { landing_entity: 'customers', record: { id: 'b' } },
    ]);
    await batchFolder('batch-0002', { 'customers.json': '{"id":"a"}' });
    await expect(collect(await open({ format: 'json', cursor: cursorAt('batch-0001') }))).rejects.toThrow('batch-0002/customers.json: expected a JSON array of records');
  });

  it('keeps every value exactly as the file has it', async () => {
    await batchFolder('batch-0001', { 'customers.jsonl': '{"a.b":{"$c":[[1,2],[]]},"d":-0,"e":"\\u0000","f":12.50}\n' });
    const [item] = await collect(await open());
    expect(item?.record).toEqual({ 'a.b': { $c: [[1, 2], []] }, d: -0, e: '\u0000', f: 12.5 });
  });

  it('resolves a relative path against its base directory', async () => {
    await batchFolder('batch-0001', { 'customers.jsonl': '{"id":"x"}\n' });
    const parent = join(root, '..');
    expect(await collect(await open({ path: relative(parent, root), baseDir: parent }))).toHaveLength(1);
  });

  describe('as a canary', () => {
    /** Every file under `dir` with its text, by path relative to `dir`. */
    async function files(dir: string): Promise<Map<string, string>> {
      const found = new Map<string, string>();
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) found.set(relative(dir, join(entry.parentPath, entry.name)), await readFile(join(entry.parentPath, entry.name), 'utf8'));
      }
      return found;
    }

    it('generates the next folder with the folder\'s seed when none is left, byte for byte the generator\'s', async () => {
      await generateTestData({ seed: 5, batches: 2, out: root, models });
      const batch = await open({ cursor: cursorAt('batch-0002'), canary: true, landing_entities: ['customers', 'products', 'readings'] });
      expect(batch).toMatchObject({ kind: 'records', description: 'batch-0003' });
      expect((await collect(batch)).length).toBeGreaterThan(0);
      const reference = join(root, 'reference');
      await generateTestData({ seed: 5, batches: 3, out: reference, models });
      const [made, expected] = await Promise.all([files(join(root, 'batch-0003')), files(join(reference, 'batch-0003'))]);
      expect([...made.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [path, text] of expected) expect(made.get(path), path).toBe(text);
      expect(JSON.parse(await readFile(join(root, 'generator.json'), 'utf8'))).toMatchObject({ seed: 5, batches: 3 });
    });

    it('starts an empty folder with the first batch of seed 1', async () => {
      const batch = await open({ canary: true, landing_entities: ['customers'] });
      expect(batch).toMatchObject({ kind: 'records', description: 'batch-0001' });
      expect(JSON.parse(await readFile(join(root, 'generator.json'), 'utf8'))).toMatchObject({ seed: 1, scale: 1, batches: 1 });
    });

    it('lands a folder that is there before generating one', async () => {
      await generateTestData({ seed: 5, batches: 2, out: root, models });
      expect(await open({ cursor: cursorAt('batch-0001'), canary: true })).toMatchObject({ kind: 'records', description: 'batch-0002' });
      expect((await readdir(root)).filter((name) => name.startsWith('batch-'))).toEqual(['batch-0001', 'batch-0002']);
    });

    it('refuses a folder of batches the generator did not make, naming it', async () => {
      await batchFolder('batch-0001', { 'customers.jsonl': '' });
      await expect(open({ cursor: cursorAt('batch-0001'), canary: true })).rejects.toThrow(
        new ConfigurationError(
          `${root} holds batch folders but no generator.json: a canary's folder is the generator's, so that its next batch can be made ` +
            '(npx dataplatform generate --out <folder>, or connection.canary false)',
        ),
      );
    });
  });
});
