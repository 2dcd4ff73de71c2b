/**
 * The whole platform for one test file: every function of stack.yml bundled from the current sources into a temp
 * folder and served by the local gateway behind the real watchdog, on a database and MongoDB databases of its own,
 * with TST01's metadata pointing at test data generated into the temp folder.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MongoClient } from 'mongodb';
import { bundleFunctions, findFunctions } from '../../../dev/build.ts';
import { startGateway, type Gateway } from '../../../dev/gateway/gateway.ts';
import { models } from '../../../metadata/models/index.ts';
import { connectMongo } from '../../../shared/adapters/mongo/mongo-client.ts';
import { main as cli } from '../../../shared/cli/main.ts';
import { loadEnv } from '../../../shared/config.ts';
import { generateTestData } from '../../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { createLogger } from '../../../shared/log.ts';
import { createTestDatabase, type TestDatabase } from '../../integration/postgres/test-database.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const PASSWORD = 'platform-e2e';
export const AUTH = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
export const TEST_SYSTEM = 'TST01';

/** A running platform and what a test needs to look into it. */
export interface PlatformEnv {
  readonly gateway: Gateway;
  readonly db: TestDatabase;
  readonly mongo: MongoClient;
  readonly metadataDb: string;
  readonly landingDb: string;
  /** TST01's folder of generated batches. */
  readonly dataDir: string;
  /** True when the gateway's async queue is empty and nothing runs. */
  isGatewayIdle(): boolean;
  stop(): Promise<void>;
}

/**
 * Builds and starts the platform: a fresh PostgreSQL database (migrated), MongoDB databases `metadata_e2e_…` and
 * `landing_e2e_…`, `batches` TST01 batches (seed 1), TST01's metadata without a schedule (only the test starts it),
 * the bundles, and the gateway (cron off: the test drives the scheduler).
 */
export async function startPlatform(options: { batches: number }): Promise<PlatformEnv> {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const metadataDb = `metadata_e2e_${suffix}`;
  const landingDb = `landing_e2e_${suffix}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'platform-e2e-'));
  const db = await createTestDatabase();
  const mongo = await connectMongo(loadEnv().MONGODB_URL);
  let gateway: Gateway | undefined;
  const stop = async (): Promise<void> => {
    await gateway?.stop();
    await Promise.allSettled([mongo.db(metadataDb).dropDatabase(), mongo.db(landingDb).dropDatabase()]);
    await mongo.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const dataDir = path.join(dir, 'tst01');
    await generateTestData({ seed: 1, batches: options.batches, out: dataDir, models });
    await deployTestMetadata(path.join(dir, 'metadata'), dataDir, metadataDb);

    // The stack and its bundles under the temp root, in the layout stack.yml expects (`./build/functions/<name>`);
    // the migrations beside them, where a bundle looks for them (`../../../migrations` of index.mjs).
    const functions = await findFunctions();
    await bundleFunctions(functions, path.join(dir, 'build/functions'), { writeMetafile: false });
    await cp(path.join(ROOT, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
    await cp(path.join(ROOT, 'stack.yml'), path.join(dir, 'stack.yml'));

    const port = await freePort();
    gateway = await startGateway({
      root: dir,
      port,
      password: PASSWORD,
      watchdogPath: process.env.GATEWAY_WATCHDOG ?? path.join(ROOT, '.local/bin/watchdog'),
      stateDir: 'state',
      secretStoreDir: 'secrets',
      stopGraceMs: 500,
      startupTimeoutMs: 30_000,
      cron: { tickMs: 0 },
      log: createLogger({ component: 'gateway' }, { write: () => undefined }),
      // The stack's ${VAR:-default} values, pointed at this test's databases and this gateway.
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        METADATA_DB: metadataDb,
        LANDING_DB: landingDb,
        GATEWAY_URL: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
      },
    });
    const running = gateway;
    return {
      gateway: running,
      db,
      mongo,
      metadataDb,
      landingDb,
      dataDir,
      isGatewayIdle: () => {
        const state = running.queueState();
        return state.pending + state.inFlight + state.running === 0;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The project's metadata reduced to TST01: its system (reading `dataDir`, no schedule), its entities, and the
 * actions whose filters name only what is left; deployed with the CLI into `metadataDb`.
 */
async function deployTestMetadata(dir: string, dataDir: string, metadataDb: string): Promise<void> {
  const read = async (file: string): Promise<Array<Record<string, unknown>>> =>
    JSON.parse(await readFile(path.join(ROOT, 'metadata', file), 'utf8')) as Array<Record<string, unknown>>;
  const systems = (await read('systems.json'))
    .filter((system) => system.id === TEST_SYSTEM)
    .map(({ schedule: _schedule, ...system }) => ({ ...system, connection: { ...(system.connection as object), path: dataDir } }));
  const entities = (await read('entities.json')).filter((entity) => entity.system_id === TEST_SYSTEM);
  const entityIds = new Set(entities.map((entity) => entity.id));
  const actions = (await read('actions.json')).filter((action) => {
    const on = action.on as { system_id?: string; entity_id?: string };
    return (on.system_id === undefined || on.system_id === TEST_SYSTEM) && (on.entity_id === undefined || entityIds.has(on.entity_id));
  });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'systems.json'), JSON.stringify(systems, null, 2));
  await writeFile(path.join(dir, 'entities.json'), JSON.stringify(entities, null, 2));
  await writeFile(path.join(dir, 'actions.json'), JSON.stringify(actions, null, 2));
  const output: string[] = [];
  const code = await cli(['metadata', 'deploy', '--dir', dir], {
    out: (line) => output.push(line),
    err: (line) => output.push(line),
    env: { ...process.env, METADATA_DB: metadataDb },
    cwd: ROOT,
  });
  if (code !== 0) throw new Error(`metadata deploy failed:\n${output.join('\n')}`);
}

/**
 * A free local port. The gateway's own URL must be known before it starts, because functions get it from the
 * stack's environment (`GATEWAY_URL`) to chain calls; port 0 would tell it only after.
 */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
