/**
 * A bronze call in a process of its own, for the crash test: `npx tsx bronze-child.ts '<json settings>'`. It
 * processes one entity of a landed batch; with `pause_after` it stops reading landing after that many records
 * (COPY is then mid-stream, its first chunks already at the server), prints `PAUSED` and waits to be killed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createLandingStore, type LandedRecord, type LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import { connectMongo } from '../../../shared/adapters/mongo/mongo-client.ts';
import { createPool } from '../../../shared/adapters/postgres/pool.ts';
import { loadEnv } from '../../../shared/config.ts';
import { processEntityBatch } from '../../../shared/layers/bronze/process-entity-batch.ts';
import { createLogger } from '../../../shared/log.ts';
import { readMetadataDir } from '../../../shared/metadata/read-metadata-dir.ts';
import { requireValidMetadata } from '../../../shared/metadata/validate-metadata.ts';
import { models } from '../../../metadata/models/index.ts';

interface ChildSettings {
  readonly database_url: string;
  readonly landing_database: string;
  readonly batch_id: string;
  readonly system_id: string;
  readonly entity_id: string;
  readonly timeout_seconds: number;
  readonly call_id: string;
  readonly application_name: string;
  readonly pause_after?: number;
}

/** The store, reading at most `pauseAfter` records before it hangs (a process stuck mid-load). */
function pausingReader(store: LandingStore, pauseAfter: number | undefined): Pick<LandingStore, 'readRun'> {
  return {
    async *readRun(ref): AsyncGenerator<LandedRecord> {
      let read = 0;
      for await (const record of store.readRun(ref)) {
        if (pauseAfter !== undefined && read === pauseAfter) {
          process.stdout.write('PAUSED\n');
          await sleep(600_000);
        }
        read += 1;
        yield record;
      }
    },
  };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ChildSettings;
  const pool = createPool({ connectionString: settings.database_url, applicationName: settings.application_name });
  const mongo = await connectMongo(loadEnv().MONGODB_URL);
  const metadata = requireValidMetadata(await readMetadataDir(fileURLToPath(new URL('../../../metadata', import.meta.url))), models);
  const store = createLandingStore(mongo.db(settings.landing_database));
  const outcome = await processEntityBatch(
    { batch_id: settings.batch_id, system_id: settings.system_id, entity_id: settings.entity_id, force: false },
    {
      pool,
      landing: pausingReader(store, settings.pause_after),
      metadata,
      log: createLogger({ child: 'bronze' }, process.stderr),
      callId: settings.call_id,
      timeoutSeconds: settings.timeout_seconds,
    },
  );
  process.stdout.write(`${JSON.stringify({ status: outcome.status })}\n`);
  await mongo.close();
  await pool.end();
}

await main();
