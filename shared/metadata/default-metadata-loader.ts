import { models } from '../../metadata/models/index.ts';
import { connectMongo } from '../adapters/mongo/mongo-client.ts';
import { createMetadataStore } from '../adapters/mongo/metadata-store.ts';
import type { Logger } from '../log.ts';
import { createSecretStore } from '../secrets/create-secret-store.ts';
import { loadMetadataConfig } from './metadata-config.ts';
import { createMetadataLoader, type LoadedMetadata, type MetadataLoader } from './metadata-loader.ts';

let shared: Promise<MetadataLoader> | undefined;

/**
 * The process-wide loader, built from the environment (MONGODB_URL, METADATA_DB, SECRET_STORE…) on first use.
 * One MongoDB connection per process, kept open: function processes serve many calls.
 */
export function defaultMetadataLoader(log?: Logger): Promise<MetadataLoader> {
  shared ??= (async () => {
    const config = loadMetadataConfig();
    const client = await connectMongo(config.mongodbUrl, { appName: 'dataplatform-metadata' });
    return createMetadataLoader({
      store: createMetadataStore(client.db(config.database)),
      models,
      secrets: createSecretStore(),
      refreshIntervalMs: config.refreshIntervalMs,
      ...(log ? { log } : {}),
    });
  })().catch((error: unknown) => {
    shared = undefined; // the next call tries again (MongoDB may be back)
    throw error;
  });
  return shared;
}

/** The active metadata (cached, refreshed when a new deploy is active). Secret references stay references. */
export async function loadMetadata(): Promise<LoadedMetadata> {
  return (await defaultMetadataLoader()).load();
}
