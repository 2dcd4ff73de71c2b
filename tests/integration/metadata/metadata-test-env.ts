import { randomUUID } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { connectMongo } from '../../../shared/adapters/mongo/mongo-client.ts';
import { loadEnv } from '../../../shared/config.ts';

/** A database name of its own for one test file (FerretDB keeps them apart), e.g. `metadata_it_deploy_1a2b3c4d`. */
export function uniqueDatabaseName(prefix: string): string {
  return `metadata_it_${prefix}_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
}

/** A client on the local FerretDB (`npm run services -- up`). */
export function connectTestMongo(): Promise<MongoClient> {
  return connectMongo(loadEnv().MONGODB_URL);
}

/** Every document of the metadata collections, for "nothing changed" comparisons. */
export async function snapshotDatabase(client: MongoClient, database: string): Promise<Record<string, unknown[]>> {
  const db = client.db(database);
  const snapshot: Record<string, unknown[]> = {};
  for (const name of ['systems', 'entities', 'actions', 'deploys']) {
    snapshot[name] = await db.collection(name).find().sort({ _id: 1 }).toArray();
  }
  return snapshot;
}
