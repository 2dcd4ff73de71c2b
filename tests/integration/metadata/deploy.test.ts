import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { createMetadataStore, type MetadataStore } from '../../../shared/adapters/mongo/metadata-store.ts';
import { UpstreamUnavailableError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/log.ts';
import { deployMetadata } from '../../../shared/metadata/deploy-metadata.ts';
import { createMetadataLoader } from '../../../shared/metadata/metadata-loader.ts';
import { MetadataValidationError, requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { projectRecords, toTexts, withEdit } from '../../unit/metadata/metadata-fixture.ts';
import { connectTestMongo, snapshotDatabase, uniqueDatabaseName } from './metadata-test-env.ts';

const database = uniqueDatabaseName('deploy');
const log = createLogger({ test: 'metadata-deploy' });
log.level = 'silent';
const secrets = createEnvSecretStore({});
let client: MongoClient;
let store: MetadataStore;

beforeAll(async () => {
  client = await connectTestMongo();
  store = createMetadataStore(client.db(database));
});

afterAll(async () => {
  await client.db(database).dropDatabase();
  await client.close();
});

const setA = toTexts(projectRecords());
const setB = withEdit('systems', 'TST01', (system) => {
  system.description = 'Set B';
  system.schedule = '0 * * * *';
});

describe('deployMetadata', () => {
  it('round-trips a valid deploy: a loader reads back exactly what was validated', async () => {
    const result = await deployMetadata(setA, { store, models, log, now: new Date('2026-03-01T10:00:00Z') });
    expect(result.status).toBe('deployed');

    const loaded = await createMetadataLoader({ store, models, secrets }).load();
    const expected = requireValidMetadata(setA, models);
    expect(loaded.generation).toBe(result.generation);
    expect(loaded.hash).toBe(expected.hash);
    expect(loaded.deployed_at).toEqual(new Date('2026-03-01T10:00:00Z'));
    expect(loaded.systems).toEqual(expected.systems);
    expect(loaded.entities).toEqual(expected.entities);
    expect(loaded.actions).toEqual(expected.actions);
    expect(loaded.models).toEqual(expected.models);
  });

  it('stores secret references, never values', async () => {
    const nightscout = await client.db(database).collection('systems').findOne({ 'record.id': 'NSC01' });
    expect(nightscout?.record).toMatchObject({
      connection: { api_secret: { type: 'secret', key: 'nightscout/api_secret' } },
    });
  });

  it('records the deploy (hash, time, counts) and the active pointer', async () => {
    const deploys = client.db(database).collection<{ _id: string; generation?: string; hash?: string }>('deploys');
    const pointer = await deploys.findOne({ _id: 'active' });
    const entry = await deploys.findOne({ _id: pointer?.generation ?? '' });
    expect(entry).toMatchObject({ status: 'active', hash: pointer?.hash, counts: { systems: 3, entities: 18, actions: 5 } });
  });

  it('changes nothing when one record is bad', async () => {
    const before = await snapshotDatabase(client, database);
    const bad = withEdit('entities', 'bunq_payment', (entity) => (entity.load_type = 'sometimes'));
    await expect(deployMetadata(bad, { store, models, log, now: new Date() })).rejects.toBeInstanceOf(MetadataValidationError);
    expect(await snapshotDatabase(client, database)).toEqual(before);
  });

  it('writes nothing for unchanged content, unless forced', async () => {
    const before = await snapshotDatabase(client, database);
    const unchanged = await deployMetadata(setA, { store, models, log, now: new Date() });
    expect(unchanged.status).toBe('unchanged');
    expect(await snapshotDatabase(client, database)).toEqual(before);

    const forced = await deployMetadata(setA, { store, models, log, now: new Date(), force: true });
    expect(forced.status).toBe('deployed');
    expect(forced.previous).toBe(unchanged.generation);
  });

  it('keeps only the active and the latest retired generation', async () => {
    const generations: string[] = [];
    for (const texts of [setB, setA, setB, setA]) {
      generations.push((await deployMetadata(texts, { store, models, log, now: new Date() })).generation);
    }
    const stored = await client.db(database).collection('systems').distinct('generation');
    expect(stored.sort()).toEqual(generations.slice(-2).sort());
    const statuses = await client
      .db(database)
      .collection<{ _id: string; status: string }>('deploys')
      .find({ _id: { $in: generations } })
      .toArray();
    expect(Object.fromEntries(statuses.map((entry) => [entry._id, entry.status]))).toEqual({
      [generations[0] as string]: 'retired',
      [generations[1] as string]: 'retired',
      [generations[2] as string]: 'retired',
      [generations[3] as string]: 'active',
    });
  });
});

describe('createMetadataLoader', () => {
  it('keeps its parsed metadata while the deploy is unchanged and reloads when it changes', async () => {
    const loader = createMetadataLoader({ store, models, secrets });
    await deployMetadata(setA, { store, models, log, now: new Date() });
    const first = await loader.load();
    expect(await loader.load()).toBe(first);

    await deployMetadata(setB, { store, models, log, now: new Date() });
    const second = await loader.load();
    expect(second.generation).not.toBe(first.generation);
    expect(second.systems.find((system) => system.id === 'TST01')?.description).toBe('Set B');
  });

  it('does not look for a new deploy within its refresh interval', async () => {
    let now = 0;
    const loader = createMetadataLoader({ store, models, secrets, refreshIntervalMs: 1_000, now: () => now });
    const first = await loader.load();
    await deployMetadata(first.systems[0]?.description === 'Set B' ? setA : setB, { store, models, log, now: new Date() });
    now = 999;
    expect(await loader.load()).toBe(first);
    now = 1_000;
    expect((await loader.load()).generation).not.toBe(first.generation);
  });

  it('refuses records that do not match the deploy hash', async () => {
    const pointer = await store.readActive();
    await client
      .db(database)
      .collection('systems')
      .updateOne({ generation: pointer?.generation, position: 0 }, { $set: { 'record.name': 'tampered' } });
    const loader = createMetadataLoader({ store, models, secrets, maxAttempts: 2 });
    await expect(loader.load()).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});
