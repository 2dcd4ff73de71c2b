import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { connectMongo } from '../../../shared/adapters/mongo/mongo-client.ts';
import { loadEnv } from '../../../shared/config.ts';

/** A landing database name of its own for one test file, e.g. `landing_it_store_1a2b3c4d`. */
export function uniqueLandingDatabase(prefix: string): string {
  return `landing_it_${prefix}_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
}

/** A client on the local FerretDB (`npm run services -- up`). */
export function connectTestMongo(): Promise<MongoClient> {
  return connectMongo(loadEnv().MONGODB_URL);
}
