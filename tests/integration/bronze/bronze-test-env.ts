/**
 * What a bronze integration test file needs: its own PostgreSQL database (migrated), its own landing database on
 * FerretDB, the repository's metadata, a way to land records as a succeeded landing run, and `process` to run
 * the bronze use case on one entity of a batch.
 */
import { fileURLToPath } from 'node:url';
import type { MongoClient } from 'mongodb';
import { createLandingStore, type LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import type { JsonValue } from '../../../shared/core/json.ts';
import { processEntityBatch, type BronzeDeps } from '../../../shared/layers/bronze/process-entity-batch.ts';
import { createLogger } from '../../../shared/log.ts';
import type { Entity } from '../../../shared/metadata/entity-schema.ts';
import type { ValidatedMetadata } from '../../../shared/metadata/metadata-set.ts';
import { readMetadataDir } from '../../../shared/metadata/read-metadata-dir.ts';
import { requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import type { Outcome } from '../../../shared/runtime/outcome.ts';
import { models } from '../../../metadata/models/index.ts';
import { connectTestMongo, uniqueLandingDatabase } from '../landing/landing-test-env.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';

/** A landed batch: what a bronze call names. */
export interface Landed {
  readonly system_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly landing_run_id: string;
}

export interface BronzeTestEnv {
  readonly db: TestDatabase;
  readonly mongo: MongoClient;
  readonly landingDatabase: string;
  readonly store: LandingStore;
  readonly metadata: ValidatedMetadata;
  /** Log lines (parsed JSON) written by bronze calls of this file. */
  readonly logs: Record<string, unknown>[];
  /** Lands records per landing entity as one succeeded landing run of a new batch (or of `batch_id`). */
  land(system_id: string, records: Readonly<Record<string, readonly JsonValue[]>>, options?: { batch_id?: string; batch_timestamp?: Date; status?: 'succeeded' | 'failed' }): Promise<Landed>;
  /** Runs bronze for one entity of a landed batch. */
  process(
    landed: Landed,
    entity_id: string,
    options?: { force?: boolean; callId?: string; metadata?: ValidatedMetadata; timeoutSeconds?: number; landing?: BronzeDeps['landing']; maxTrackedKeys?: number },
  ): Promise<Outcome>;
  /** The repository's metadata with some entities changed (`quality`, `processor`…). */
  withEntities(change: (entity: Entity) => Entity): ValidatedMetadata;
  close(): Promise<void>;
}

const METADATA_DIR = fileURLToPath(new URL('../../../metadata', import.meta.url));

export async function createBronzeTestEnv(prefix: string): Promise<BronzeTestEnv> {
  const db = await createTestDatabase();
  const mongo = await connectTestMongo();
  const landingDatabase = uniqueLandingDatabase(prefix);
  const store = createLandingStore(mongo.db(landingDatabase));
  const metadata = requireValidMetadata(await readMetadataDir(METADATA_DIR), models);
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ test: prefix }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  let calls = 0;

  return {
    db,
    mongo,
    landingDatabase,
    store,
    metadata,
    logs,
    async land(system_id, records, options = {}) {
      const batch_id = options.batch_id ?? newBatchId();
      const batch_timestamp = options.batch_timestamp ?? new Date();
      const start = await startSystemRun(db.pool, { batch_id, batch_timestamp, system_id, call_id: 'call-landing', timeout_seconds: 300, force: true });
      if (!start.proceed) throw new Error(`fixture: the landing of ${batch_id} did not proceed (${start.reason})`);
      const writer = store.openWriter({ system_id, batch_id, batch_timestamp, run_id: start.run.run_id, call_id: 'call-landing' });
      for (const [landing_entity, list] of Object.entries(records)) for (const record of list) await writer.append(landing_entity, record);
      await writer.flush();
      await finishSystemRun(db.pool, start.run.run_id, { status: options.status ?? 'succeeded' });
      return { system_id, batch_id, batch_timestamp: start.run.batch_timestamp, landing_run_id: start.run.run_id };
    },
    async process(landed, entity_id, options = {}) {
      calls += 1;
      const deps: BronzeDeps = {
        pool: db.pool,
        landing: options.landing ?? store,
        metadata: options.metadata ?? metadata,
        log,
        callId: options.callId ?? `call-bronze-${calls}`,
        timeoutSeconds: options.timeoutSeconds ?? 300,
        ...(options.maxTrackedKeys === undefined ? {} : { maxTrackedKeys: options.maxTrackedKeys }),
      };
      return processEntityBatch({ batch_id: landed.batch_id, system_id: landed.system_id, entity_id, force: options.force ?? false }, deps);
    },
    withEntities(change) {
      return { ...metadata, entities: metadata.entities.map(change) };
    },
    async close() {
      await mongo.db(landingDatabase).dropDatabase().catch(() => undefined);
      await mongo.close();
      await db.drop();
    },
  };
}
