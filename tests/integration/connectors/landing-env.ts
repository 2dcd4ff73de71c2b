/**
 * What a landing integration test needs: its own PostgreSQL database (migrated), its own landing and connector
 * state databases on FerretDB, the repository's metadata with a system pointed at a fake source, and `land` to
 * run the landing use case as a connector function does.
 */
import { fileURLToPath } from 'node:url';
import type { MongoClient } from 'mongodb';
import { createConnectorStateStore, type ConnectorStateStore } from '../../../shared/adapters/mongo/connector-state-store.ts';
import { createLandingStore, type LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import type { JsonValue } from '../../../shared/core/json.ts';
import type { ConnectorRegistry } from '../../../shared/layers/landing/connector.ts';
import { landSystem, type LandSystemRequest } from '../../../shared/layers/landing/land-system.ts';
import { createLogger, type Logger } from '../../../shared/log.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { readMetadataDir } from '../../../shared/metadata/read-metadata-dir.ts';
import type { System } from '../../../shared/metadata/system-schema.ts';
import { requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import type { Outcome } from '../../../shared/runtime/outcome.ts';
import { staticMetadataLoader } from '../../../shared/runtime/static-metadata-loader.ts';
import { createEnvSecretStore } from '../../../shared/secrets/env-secret-store.ts';
import type { SecretStore } from '../../../shared/secrets/secret-store.ts';
import { models } from '../../../metadata/models/index.ts';
import { connectTestMongo, uniqueLandingDatabase } from '../landing/landing-test-env.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';

/** The secrets of the example systems, as the env secret store reads them. */
export const TEST_SECRETS = {
  nightscout_api_secret: 'correct horse battery staple',
  bunq_api_key: 'sandbox_0123456789abcdef0123456789abcdef',
};

const METADATA_DIR = fileURLToPath(new URL('../../../metadata', import.meta.url));

export interface LandingEnv {
  readonly db: TestDatabase;
  readonly mongo: MongoClient;
  readonly store: LandingStore;
  readonly state: ConnectorStateStore;
  readonly landingDatabase: string;
  readonly stateDatabase: string;
  /** The secret store holding `TEST_SECRETS`. */
  readonly secrets: SecretStore;
  readonly log: Logger;
  /** Log lines of this file, as text. */
  readonly logLines: string[];
  /** The repository's metadata with systems changed (a fake's URL, a webhook block). */
  metadata(change?: (system: System) => System): LoadedMetadata;
  /** Runs the landing use case like a connector function, at `now`. */
  land(request: Partial<LandSystemRequest> & { system_id: string }, options: { connectors: ConnectorRegistry; metadata: LoadedMetadata; now: Date; callId?: string }): Promise<Outcome>;
  /** The records a landing run wrote for a landing entity, in order. */
  landed(system_id: string, landing_entity: string, batch_id: string, run_id: string): Promise<JsonValue[]>;
  /** Every landing document of a system (any run), per landing entity. */
  countDocuments(system_id: string, landing_entity: string): Promise<number>;
  close(): Promise<void>;
}

/** Builds the environment of one test file; `prefix` names its databases. */
export async function createLandingEnv(prefix: string): Promise<LandingEnv> {
  const db = await createTestDatabase();
  const mongo = await connectTestMongo();
  const landingDatabase = uniqueLandingDatabase(prefix);
  const stateDatabase = uniqueLandingDatabase(`${prefix}_state`);
  const store = createLandingStore(mongo.db(landingDatabase), { chunkRecords: 250 });
  const state = createConnectorStateStore(mongo.db(stateDatabase));
  const validated = requireValidMetadata(await readMetadataDir(METADATA_DIR), models);
  const logLines: string[] = [];
  const log = createLogger({ test: prefix }, { write: (line: string) => void logLines.push(line) });
  const secrets = createEnvSecretStore({ SECRET_NIGHTSCOUT_API_SECRET: TEST_SECRETS.nightscout_api_secret, SECRET_BUNQ_API_KEY: TEST_SECRETS.bunq_api_key });

  return {
    db,
    mongo,
    store,
    state,
    landingDatabase,
    stateDatabase,
    secrets,
    log,
    logLines,
    metadata(change = (system) => system) {
      return { ...validated, systems: validated.systems.map(change), generation: 'test', deployed_at: new Date('2026-01-01T00:00:00Z') };
    },
    land(request, options) {
      return landSystem(
        { force: false, options: {}, ...request },
        {
          pool: db.pool,
          landing: store,
          metadata: staticMetadataLoader(options.metadata, secrets),
          connectors: options.connectors,
          log,
          callId: options.callId ?? 'call-landing-test',
          timeoutSeconds: 300,
          now: () => options.now,
        },
      );
    },
    async landed(system_id, landing_entity, batch_id, run_id) {
      const records: JsonValue[] = [];
      for await (const landedRecord of store.readRun({ system_id, landing_entity, batch_id, run_id })) records.push(landedRecord.record);
      return records;
    },
    countDocuments: (system_id, landing_entity) => mongo.db(landingDatabase).collection(`${system_id}__${landing_entity}`).countDocuments(),
    async close() {
      await mongo.db(landingDatabase).dropDatabase();
      await mongo.db(stateDatabase).dropDatabase();
      await mongo.close();
      await db.drop();
    },
  };
}

/** The audit rows of a batch: its system runs, landing entity runs, outbox messages, and the system's cursors. */
export async function auditOf(db: TestDatabase, system_id: string, batch_id: string) {
  const runs = await db.pool.query<{ run_id: string; status: string; error: string | null }>(
    'select run_id, status, error from audit.system_run where batch_id = $1 and system_id = $2 order by started_at',
    [batch_id, system_id],
  );
  const entityRuns = await db.pool.query<{ entity_id: string; status: string; records_in: number }>(
    `select entity_id, status, records_in from audit.entity_layer_run where batch_id = $1 and layer = 'landing' order by started_at, entity_id`,
    [batch_id],
  );
  const outbox = await db.pool.query<{ target_function: string; payload: { entity_id?: string; system_id: string } }>(
    'select target_function, payload from audit.outbox where batch_id = $1 order by created_at, id',
    [batch_id],
  );
  const cursors = await db.pool.query<{ batch_id: string; window_end: Date; position: string | null }>(
    'select batch_id, window_end, position from audit.cursor where system_id = $1 and entity_id is null order by recorded_at',
    [system_id],
  );
  return { runs: runs.rows, entityRuns: entityRuns.rows, outbox: outbox.rows, cursors: cursors.rows };
}
