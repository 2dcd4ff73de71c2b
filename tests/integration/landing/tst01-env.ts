import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';
import pino from 'pino';
import { models } from '../../../metadata/models/index.ts';
import { createLandingStore, type LandedRecord, type LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import type { JsonValue } from '../../../shared/core/json.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { readMetadataDir } from '../../../shared/metadata/read-metadata-dir.ts';
import { requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import { createJsonFileConnector } from '../../../shared/layers/landing/jsonfile/jsonfile-connector.ts';
import type { LandSystemDeps } from '../../../shared/layers/landing/land-system.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { connectTestMongo, uniqueLandingDatabase } from './landing-test-env.ts';

/** PostgreSQL, a landing database and a folder for TST01's files, all of this test file's own. */
export interface Tst01Env {
  readonly db: TestDatabase;
  readonly mongo: MongoClient;
  readonly landingDatabase: string;
  readonly landing: LandingStore;
  /** TST01's folder (its `connection.path`). */
  readonly dir: string;
  readonly metadata: LoadedMetadata;
  /** A landing's deps; `metadata` replaces the project's (TST01 reading `dir`). */
  deps(callId: string, metadata?: LoadedMetadata): LandSystemDeps;
  close(): Promise<void>;
}

/** The project's metadata, with TST01 reading from `dir`; `canary` overrides whether TST01 is a canary. */
export async function projectMetadata(dir: string, canary?: boolean): Promise<LoadedMetadata> {
  const validated = requireValidMetadata(await readMetadataDir('metadata'), models);
  const systems = validated.systems.map((system) =>
    system.type === 'jsonfile' && system.id === 'TST01'
      ? { ...system, connection: { ...system.connection, path: dir, canary: canary ?? system.connection.canary } }
      : system,
  );
  return { ...validated, systems, generation: 'test', deployed_at: new Date('2026-01-01T00:00:00Z') };
}

export async function createTst01Env(prefix: string): Promise<Tst01Env> {
  const db = await createTestDatabase();
  const mongo = await connectTestMongo();
  const landingDatabase = uniqueLandingDatabase(prefix);
  const landing = createLandingStore(mongo.db(landingDatabase), { chunkRecords: 7 });
  const dir = await mkdtemp(join(tmpdir(), `dp-${prefix}-`));
  const metadata = await projectMetadata(dir);
  const loader = staticMetadataLoader(metadata, createEnvSecretStore({}));
  const log = pino({ level: 'silent' });
  return {
    db,
    mongo,
    landingDatabase,
    landing,
    dir,
    metadata,
    deps: (callId, other) => ({
      pool: db.pool,
      landing,
      metadata: other === undefined ? loader : staticMetadataLoader(other, createEnvSecretStore({})),
      connectors: { jsonfile: createJsonFileConnector() },
      log,
      callId,
      timeoutSeconds: 60,
      now: () => new Date(),
    }),
    async close() {
      await mongo.db(landingDatabase).dropDatabase();
      await mongo.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The records of a `.jsonl` file, parsed. */
export async function readJsonLines(file: string): Promise<JsonValue[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JsonValue);
}

/** Everything one landing run wrote for a landing entity, in order. */
export async function readRunRecords(landing: LandingStore, ref: { system_id: string; landing_entity: string; batch_id: string; run_id: string }): Promise<LandedRecord[]> {
  const records: LandedRecord[] = [];
  for await (const record of landing.readRun(ref)) records.push(record);
  return records;
}
