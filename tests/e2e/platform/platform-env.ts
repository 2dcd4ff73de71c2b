/**
 * The whole platform for one test file, on the real local OpenFaaS stack: every function of stack.yml bundled from the
 * current sources and written as images tagged for this file, deployed with faas-cli into a namespace of its own,
 * on a database and MongoDB databases of its own, with TST01's metadata pointing at test data generated for it.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import pg from 'pg';
import { expect } from 'vitest';
import { bundleFunctions, findFunctions, findPythonFunctions, stagePythonFunctions, writeStackImages } from '../../../dev/build.ts';
import { removeImage } from '../../../dev/openfaas/images.ts';
import { dashboardDatabaseUrl, functionSideUrl, gatewayCredentials, IMAGES_DIR, putSecret } from '../../../dev/openfaas/local-stack.ts';
import { runTestBatch, type TestBatchResult } from '../../../dev/start/run-test-batch.ts';
import { models } from '../../../metadata/models/index.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { connectMongo } from '../../../shared/adapters/mongo/mongo-client.ts';
import { main as cli } from '../../../shared/cli/main.ts';
import { loadEnv } from '../../../shared/config.ts';
import { GATEWAY_PASSWORD_SECRET } from '../../../shared/layers/dashboard/call-logs.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { TST01_ENTITIES } from '../../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { describeModel, type ModelRegistry } from '../../../shared/metadata/model-dsl.ts';
import { countsPerBatch } from '../../../shared/runs/audit-queries.ts';
import { callAuthorization, CALL_TOKEN_SECRET } from '../../../shared/runtime/call-token.ts';
import { createTestDatabase, type TestDatabase } from '../../integration/postgres/test-database.ts';
import { createTestNamespace, GATEWAY_URL, isQueueIdle, waitUntilReady, type TestNamespace } from '../stack-harness.ts';
import { actualSilver, batchLabels, expectedSilver } from './expected-silver.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const TEST_SYSTEM = 'TST01';

/** A running platform and what a test needs to look into it. */
export interface PlatformEnv {
  readonly ns: TestNamespace;
  readonly db: TestDatabase;
  readonly mongo: MongoClient;
  readonly metadataDb: string;
  readonly landingDb: string;
  /** TST01's folder of generated batches. */
  readonly dataDir: string;
  /** The functions deployed (every function of stack.yml). */
  readonly functions: readonly string[];
  /** The platform's call token in this namespace, and the header that presents it. */
  readonly token: string;
  readonly auth: { readonly authorization: string };
  /** `faas-cli invoke --async connector-jsonfile` in the namespace, its answer posted to `callbackUrl`. */
  invokeConnector(payload: Readonly<Record<string, unknown>>, callbackUrl: string): Promise<void>;
  /** The next TST01 batch through the stack (dev/start/run-test-batch.ts), the scheduler ticked every second. */
  runBatch(options?: { driveScheduler?: boolean; invoke?: PlatformEnv['invokeConnector'] }): Promise<TestBatchResult>;
  /** Layer → status of one batch, from the audit query the dashboard uses. */
  layerStatuses(batchId: string): Promise<Record<string, string | null>>;
  /** Silver of every TST01 entity equals the generator's expected state after `batch` (`batch-0003`). */
  expectSilverAsGenerated(batch: string): Promise<void>;
  /** Bronze rows of a batch of `test_customer`, and their distinct keys: a doubled row shows as rows > keys. */
  bronzeRowsPerKey(batchId: string): Promise<{ rows: number; keys: number }>;
  /** A connection holding `LOCK TABLE … IN SHARE MODE`: writers of the table wait until `release()`. */
  holdWriteLock(table: string): Promise<{ release: () => Promise<void> }>;
  stop(): Promise<void>;
}

/** How long one batch may take through the stack (a re-queue after a fault waits out a run's timeout). */
export const PLATFORM_BATCH_TIMEOUT_MS = 150_000;

/** Every layer of a batch succeeded, as `layerStatuses` reads it. */
export const ALL_SUCCEEDED = { landing: 'succeeded', bronze: 'succeeded', silver: 'succeeded', gold: 'succeeded' };

/**
 * Builds and starts the platform: a fresh PostgreSQL database (migrated by the functions), MongoDB databases
 * `metadata_e2e_…` and `landing_e2e_…`, `batches` TST01 batches (seed 1, `scale`), TST01's metadata without a schedule (only
 * the test starts it), the images, and `faas-cli deploy` of stack.yml without the scheduler's cron annotation (the
 * test drives the scheduler, so a cron tick cannot do what a test says the functions do alone).
 */
export async function startPlatform(options: {
  readonly batches: number;
  /** The generator's `--scale` for TST01's data (default 1; the end-to-end bench uses 100). */
  readonly scale?: number;
  /** The namespace's name before its random part (default `e2e-platform`). */
  readonly namespacePrefix?: string;
  /** More of stack.yml's variables for the deploy (a fault test shortens the lost-call grace). */
  readonly deployEnv?: NodeJS.ProcessEnv;
  /** Give TST01 a push webhook whose token is this Vault secret key (`prefix/field`, in the dev OpenBao). */
  readonly webhookTokenKey?: string;
  /** Changes the metadata records before they are deployed (a test's own actions, a check that fails). */
  readonly editMetadata?: (metadata: TestMetadataFiles) => TestMetadataFiles;
}): Promise<PlatformEnv> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const metadataDb = `metadata_e2e_${suffix}`;
  const landingDb = `landing_e2e_${suffix}`;
  const ns = await createTestNamespace(options.namespacePrefix ?? 'e2e-platform');
  const token = `e2e-call-token-${randomUUID()}`;
  const db = await createTestDatabase();
  const mongo = await connectMongo(loadEnv().MONGODB_URL);
  const images: string[] = [];
  const stop = async (): Promise<void> => {
    await ns.remove();
    await Promise.all(images.map((ref) => removeImage(IMAGES_DIR, ref)));
    await Promise.allSettled([mongo.db(metadataDb).dropDatabase(), mongo.db(landingDb).dropDatabase()]);
    await mongo.close();
    await db.drop();
  };
  try {
    const dataDir = path.join(ns.dir, 'tst01');
    await generateTestData({ seed: 1, batches: options.batches, scale: options.scale, out: dataDir, models });
    await deployTestMetadata(path.join(ns.dir, 'metadata'), dataDir, metadataDb, options.webhookTokenKey, options.editMetadata);

    // The stack and its bundles under the scratch folder, in the layout stack.yml expects (`./build/functions/<name>`).
    const stackText = await readFile(path.join(ROOT, 'stack.yml'), 'utf8');
    const withoutCron = stackText.replace(/\n\s+topic: cron-function\n\s+schedule: "[^"]*"/, '');
    if (withoutCron === stackText) throw new Error('stack.yml: the scheduler has no cron annotation to leave out');
    const stackFile = path.join(ns.dir, 'stack.yml');
    await writeFile(stackFile, withoutCron);
    const built = [
      ...(await bundleFunctions(await findFunctions(), path.join(ns.dir, 'build/functions'), { writeMetafile: false })),
      ...(await stagePythonFunctions(await findPythonFunctions(), path.join(ns.dir, 'build/functions'))),
    ];
    await cp(path.join(ROOT, 'migrations'), path.join(ns.dir, 'migrations'), { recursive: true });
    const env = loadEnv();
    const deployEnv: NodeJS.ProcessEnv = {
      TAG: ns.name,
      DATABASE_URL: functionSideUrl(db.url),
      DASHBOARD_DATABASE_URL: functionSideUrl(dashboardDatabaseUrl(db.url)),
      MONGODB_URL: functionSideUrl(env.MONGODB_URL),
      VAULT_ADDR: functionSideUrl(env.VAULT_ADDR),
      METADATA_DB: metadataDb,
      LANDING_DB: landingDb,
      FUNCTION_NAMESPACE: ns.name,
      LOG_LEVEL: 'info',
      ...options.deployEnv,
    };
    images.push(...(await writeStackImages(built, { stackFile, env: { ...process.env, ...deployEnv } })));
    await putSecret(CALL_TOKEN_SECRET, token, { namespace: ns.name, env: ns.cliEnv });
    await putSecret(GATEWAY_PASSWORD_SECRET, gatewayCredentials().password, { namespace: ns.name, env: ns.cliEnv });
    await ns.deploy(withoutCron, { env: deployEnv });
    const functions = built.map((bundle) => bundle.name);
    await waitUntilReady(functions, { namespace: ns.name, timeoutMs: 120_000 });
    const auth = callAuthorization(token);
    const invokeConnector: PlatformEnv['invokeConnector'] = async (payload, callbackUrl) => {
      const invoked = await ns.cli(
        [
          'invoke', 'connector-jsonfile', '--async', '--namespace', ns.name, '--content-type', 'application/json',
          '--header', `X-Callback-Url: ${callbackUrl}`, '--header', `Authorization: ${auth.authorization}`,
        ],
        { input: JSON.stringify(payload) },
      );
      if (invoked.code !== 0) throw new Error(`faas-cli invoke --async failed: ${invoked.stderr}`);
    };
    return {
      ns,
      db,
      mongo,
      metadataDb,
      landingDb,
      dataDir,
      functions,
      token,
      auth,
      invokeConnector,
      runBatch: (options = {}) =>
        runTestBatch({
          driveScheduler: options.driveScheduler,
          gatewayUrl: GATEWAY_URL,
          namespace: ns.name,
          db: db.pool,
          systemId: TEST_SYSTEM,
          invokeConnector: options.invoke ?? invokeConnector,
          isQueueIdle,
          timeoutMs: PLATFORM_BATCH_TIMEOUT_MS - 10_000,
        }),
      async layerStatuses(batchId) {
        const rows = (await countsPerBatch(db.pool, { systemId: TEST_SYSTEM, limit: 100 })).filter((row) => row.batch_id === batchId);
        return Object.fromEntries(rows.map((row) => [row.layer ?? '(none)', row.layer_status]));
      },
      async expectSilverAsGenerated(batch) {
        const labels = await batchLabels(db.pool, TEST_SYSTEM);
        for (const entity of TST01_ENTITIES) {
          const schema = (models as ModelRegistry)[entity.model];
          if (!schema) throw new Error(`no model ${entity.model}`);
          const model = describeModel(entity.model, schema);
          const actual = await actualSilver(db.pool, entity.id, model, labels);
          const expected = await expectedSilver(dataDir, batch, entity.id, model);
          expect(expected.length).toBeGreaterThan(0);
          expect({ entity: entity.id, rows: actual }).toEqual({ entity: entity.id, rows: expected });
        }
      },
      async bronzeRowsPerKey(batchId) {
        const counted = await query<{ rows: number; keys: number }>(
          db.pool,
          'count bronze rows',
          'select count(*)::int as rows, count(distinct id)::int as keys from bronze.test_customer where _dp_batch_id = $1',
          [batchId],
        );
        return counted.rows[0] ?? { rows: 0, keys: 0 };
      },
      async holdWriteLock(table) {
        const client = new pg.Client({ connectionString: db.url });
        // A fault test stops PostgreSQL under this connection: its end is expected, not an error to report.
        client.on('error', () => undefined);
        await client.connect();
        await client.query('begin');
        await client.query(`lock table ${table} in share mode`);
        return {
          release: async () => {
            await client.query('commit').catch(() => undefined);
            await client.end().catch(() => undefined);
          },
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The metadata files of a test platform, as records. */
export interface TestMetadataFiles {
  readonly systems: Array<Record<string, unknown>>;
  readonly entities: Array<Record<string, unknown>>;
  readonly actions: Array<Record<string, unknown>>;
}

/**
 * The project's metadata reduced to TST01: its system (reading `dataDir`, no schedule), its entities, and the
 * actions whose filters name only what is left, changed by `edit` when given; deployed with the CLI into `metadataDb`.
 */
async function deployTestMetadata(
  dir: string,
  dataDir: string,
  metadataDb: string,
  webhookTokenKey?: string,
  edit: (metadata: TestMetadataFiles) => TestMetadataFiles = (metadata) => metadata,
): Promise<void> {
  const webhook = webhookTokenKey === undefined ? {} : { webhook: { token: { type: 'secret', key: webhookTokenKey }, mode: 'push', landing_entity: 'readings' } };
  const read = async (file: string): Promise<Array<Record<string, unknown>>> =>
    JSON.parse(await readFile(path.join(ROOT, 'metadata', file), 'utf8')) as Array<Record<string, unknown>>;
  const systems = (await read('systems.json'))
    .filter((system) => system.id === TEST_SYSTEM)
    .map(({ schedule: _schedule, ...system }) => ({ ...system, connection: { ...(system.connection as object), path: dataDir }, ...webhook }));
  const entities = (await read('entities.json')).filter((entity) => entity.system_id === TEST_SYSTEM);
  const entityIds = new Set(entities.map((entity) => entity.id));
  const actions = (await read('actions.json')).filter((action) => {
    const on = action.on as { system_id?: string; entity_id?: string };
    return (on.system_id === undefined || on.system_id === TEST_SYSTEM) && (on.entity_id === undefined || entityIds.has(on.entity_id));
  });
  const files = edit({ systems, entities, actions });
  await mkdir(dir, { recursive: true });
  for (const [name, records] of Object.entries(files)) await writeFile(path.join(dir, `${name}.json`), JSON.stringify(records, null, 2));
  const output: string[] = [];
  const code = await cli(['metadata', 'deploy', '--dir', dir], {
    out: (line) => output.push(line),
    err: (line) => output.push(line),
    env: { ...process.env, METADATA_DB: metadataDb },
    cwd: ROOT,
  });
  if (code !== 0) throw new Error(`metadata deploy failed:\n${output.join('\n')}`);
}
