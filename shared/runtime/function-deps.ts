import type { MongoClient } from 'mongodb';
import type pg from 'pg';
import { models } from '../../metadata/models/index.ts';
import { connectMongo } from '../adapters/mongo/mongo-client.ts';
import { createMetadataStore } from '../adapters/mongo/metadata-store.ts';
import { createGatewayClient, type GatewayClient } from '../adapters/gateway/gateway-client.ts';
import { readCallToken } from './call-token.ts';
import { runMigrations } from '../adapters/postgres/migrate.ts';
import { createPool } from '../adapters/postgres/pool.ts';
import { loadEnv, type Env } from '../config.ts';
import type { Logger } from '../log.ts';
import { loadMetadataConfig } from '../metadata/metadata-config.ts';
import { createMetadataLoader, type LoadedMetadata, type MetadataLoader } from '../metadata/metadata-loader.ts';
import { createSecretStore } from '../secrets/create-secret-store.ts';

/**
 * What a function's work needs from outside, each made on first use and then kept for the life of the process:
 * a function process serves many calls, and a pool or a MongoDB connection per call would cost more than the call.
 * Every member can be injected (`createFunctionDeps({ pool, metadataLoader, gateway, now })`), so tests run a
 * function against a test database, metadata in memory and a local HTTP server, without a deploy.
 */
export interface FunctionDeps {
  /** The PostgreSQL pool, with the migrations applied (once per process and pool; cheap when up to date). */
  pool(): Promise<pg.Pool>;
  /** The MongoDB (or FerretDB) client: landing records, metadata. */
  mongo(): Promise<MongoClient>;
  /** The metadata loader: cached per deploy, secrets resolved on demand (`loadSystem`, `loadAction`). */
  metadataLoader(): Promise<MetadataLoader>;
  /** The active metadata (secret references unresolved), cached until a new deploy is active. */
  metadata(): Promise<LoadedMetadata>;
  /** The OpenFaaS gateway client (async and sync calls). */
  gateway(): GatewayClient;
  /** The clock. Injected in tests; the database's clock still decides run staleness. */
  now(): Date;
  /** Closes what was opened (pool, MongoDB client); for tests and graceful shutdown. */
  close(): Promise<void>;
}

/** What `createFunctionDeps` takes; everything but `name` is optional and made from the environment when absent. */
export interface FunctionDepsOptions {
  /** The function's name, shown as PostgreSQL's `application_name` and MongoDB's `appName`. */
  readonly name: string;
  readonly env?: Env;
  readonly log?: Logger;
  readonly pool?: pg.Pool;
  readonly mongo?: MongoClient;
  readonly metadataLoader?: MetadataLoader;
  readonly gateway?: GatewayClient;
  readonly now?: () => Date;
  /**
   * Apply pending migrations before the pool's first use (default true). False for a function that connects with a
   * read-only role (the dashboard), which may not, and need not: the writing functions migrate.
   */
  readonly migrate?: boolean;
}

const migrated = new WeakMap<pg.Pool, Promise<void>>();

/**
 * Applies pending migrations once per process and pool. Every function calls it where it starts using the database,
 * so a deploy of new code migrates before it works; the runner's advisory lock lets many processes do so at once.
 * A failure is not remembered: the next call tries again.
 */
export function ensureMigrated(pool: pg.Pool, log?: Logger): Promise<void> {
  let done = migrated.get(pool);
  if (!done) {
    done = runMigrations(pool, log ? { log } : {}).then(
      () => undefined,
      (error: unknown) => {
        migrated.delete(pool);
        throw error;
      },
    );
    migrated.set(pool, done);
  }
  return done;
}

/** Builds a function's deps; what is not injected is created lazily from the environment, once. */
export function createFunctionDeps(options: FunctionDepsOptions): FunctionDeps {
  const env = (): Env => options.env ?? loadEnv();
  const owned: Array<() => Promise<void>> = [];

  let createdPool: pg.Pool | undefined;
  const pool = async (): Promise<pg.Pool> => {
    if (!createdPool) {
      const made = options.pool ?? createPool({
        connectionString: env().DATABASE_URL,
        applicationName: `dataplatform-${options.name}`,
        ...(options.log ? { log: options.log } : {}),
      });
      if (!options.pool) owned.push(() => made.end());
      createdPool = made;
    }
    if (options.migrate ?? true) await ensureMigrated(createdPool, options.log);
    return createdPool;
  };
  const mongo = once(async () => {
    if (options.mongo) return options.mongo;
    const client = await connectMongo(env().MONGODB_URL, { appName: `dataplatform-${options.name}` });
    owned.push(() => client.close());
    return client;
  });
  const metadataLoader = once(async () => {
    if (options.metadataLoader) return options.metadataLoader;
    const config = loadMetadataConfig();
    const client = await mongo();
    return createMetadataLoader({
      store: createMetadataStore(client.db(config.database)),
      models,
      secrets: createSecretStore(),
      refreshIntervalMs: config.refreshIntervalMs,
      ...(options.log ? { log: options.log } : {}),
    });
  });
  let gateway: GatewayClient | undefined;

  return {
    pool,
    mongo,
    metadataLoader,
    metadata: async () => (await metadataLoader()).load(),
    gateway: () => (gateway ??= options.gateway ?? createGatewayClient({ baseUrl: env().GATEWAY_URL, namespace: env().FUNCTION_NAMESPACE, token: readCallToken() })),
    now: options.now ?? (() => new Date()),
    async close() {
      const closing = owned.splice(0);
      await Promise.all(closing.map((close) => close()));
    },
  };
}

/**
 * Memoises an async factory; a rejection is forgotten, so a service that was down is tried again on the next call
 * instead of failing every later call of the process.
 */
function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

let processDeps: FunctionDeps | undefined;

/** The deps of this process's function, made on the first call that needs them (one function per process). */
export function processFunctionDeps(name: string, log?: Logger): FunctionDeps {
  processDeps ??= createFunctionDeps({ name, ...(log ? { log } : {}) });
  return processDeps;
}
