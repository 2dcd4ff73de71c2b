import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { models } from '../../../metadata/models/index.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMetadataStore, type MetadataStore } from '../../../shared/adapters/mongo/metadata-store.ts';
import { createLogger } from '../../../shared/log.ts';
import { deployMetadata } from '../../../shared/metadata/deploy-metadata.ts';
import { createMetadataLoader } from '../../../shared/metadata/metadata-loader.ts';
import { requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { projectRecords, toTexts } from '../../unit/metadata/metadata-fixture.ts';
import { connectTestMongo, uniqueDatabaseName } from './metadata-test-env.ts';

const database = uniqueDatabaseName('concurrent');
const log = createLogger({ test: 'metadata-concurrent-read' });
log.level = 'silent';
// Two clients: the deployer's and the reader's operations really run side by side on the server.
let deployerClient: MongoClient;
let readerClient: MongoClient;

beforeAll(async () => {
  [deployerClient, readerClient] = await Promise.all([connectTestMongo(), connectTestMongo()]);
});

afterAll(async () => {
  await deployerClient.db(database).dropDatabase();
  await Promise.all([deployerClient.close(), readerClient.close()]);
});

/** Set A: the project's metadata. Set B: fewer records in every collection and different content. */
const setA = toTexts(projectRecords());
const setB = (() => {
  const records = projectRecords();
  records.systems = records.systems.filter((system) => system.id === 'TST01').map((system) => ({ ...system, name: 'Only TST01' }));
  records.entities = records.entities.filter((entity) => entity.system_id === 'TST01');
  records.actions = records.actions.filter((action) => action.type === 'log');
  return toTexts(records);
})();

/**
 * The real store, with a pause between reading the pointer and reading the records: a slow reader (a busy
 * function) widens the window in which a deploy can swap and clean up under it.
 */
function slowReader(store: MetadataStore): MetadataStore {
  return {
    ...store,
    async readGeneration(generation) {
      await sleep(Math.random() * 400);
      return store.readGeneration(generation);
    },
  };
}

describe('metadata deploy and a concurrent reader', () => {
  it('lets the reader see set A or set B, whole, never a mix or a part', async () => {
    const expected = new Map(
      [requireValidMetadata(setA, models), requireValidMetadata(setB, models)].map((set) => [set.hash, set]),
    );
    const deployerStore = createMetadataStore(deployerClient.db(database));
    const readerStore = slowReader(createMetadataStore(readerClient.db(database)));
    await deployMetadata(setA, { store: deployerStore, models, log, now: new Date() });

    let deploying = true;
    const seen = new Map<string, number>();
    // So that both sets are seen however the machine schedules us, the first two deploys (B, then A) each wait for
    // a read that started after them; the later ones swap under the readers at full speed.
    let deploysDone = 0;
    let newestReadAfter = 0;
    const readUntilDone = async () => {
      while (deploying) {
        const startedAfter = deploysDone;
        // A new loader each time, so every read goes through the pointer and the records (no cache).
        const loaded = await createMetadataLoader({ store: readerStore, models, secrets: createEnvSecretStore({}), maxAttempts: 20 }).load();
        const set = expected.get(loaded.hash);
        expect(set, `hash ${loaded.hash} is neither set A nor set B`).toBeDefined();
        expect({ systems: loaded.systems, entities: loaded.entities, actions: loaded.actions }).toEqual({
          systems: set?.systems,
          entities: set?.entities,
          actions: set?.actions,
        });
        seen.set(loaded.hash, (seen.get(loaded.hash) ?? 0) + 1);
        newestReadAfter = Math.max(newestReadAfter, startedAfter);
      }
    };
    const read = async () => {
      try {
        await readUntilDone();
      } finally {
        deploying = false; // a failed reader stops the deploys too
      }
    };
    const readers = Promise.allSettled([read(), read(), read()]);

    try {
      for (let round = 0; round < 12 && deploying; round += 1) {
        await deployMetadata(round % 2 === 0 ? setB : setA, { store: deployerStore, models, log, now: new Date() });
        deploysDone += 1;
        while (deploying && round < 2 && newestReadAfter < deploysDone) await sleep(10);
      }
    } finally {
      deploying = false;
    }
    for (const outcome of await readers) if (outcome.status === 'rejected') throw outcome.reason;
    expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());
  }, 120_000);
});
