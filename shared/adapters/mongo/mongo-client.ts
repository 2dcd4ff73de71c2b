import { MongoClient, MongoNetworkError, MongoServerSelectionError, type MongoClientOptions } from 'mongodb';
import { UpstreamUnavailableError } from '../../errors.ts';

/** How long a connection or server selection may take before the platform reports MongoDB unreachable. */
const SERVER_SELECTION_TIMEOUT_MS = 5_000;

/**
 * Connects to MongoDB (or FerretDB), failing with `UpstreamUnavailableError` when it cannot be reached. The URL
 * never appears in a message (it may hold a password); the host list does.
 */
export async function connectMongo(url: string, options: MongoClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
    // undefined fields are left out, not stored as null: what is written reads back the same
    ignoreUndefined: true,
    ...options,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new UpstreamUnavailableError(`MongoDB at ${mongoHosts(url)} is unreachable`, { cause: sanitizedCause(error) });
  }
  return client;
}

/** Turns a driver error that means "MongoDB is not there right now" into `UpstreamUnavailableError`; others pass. */
export function toMongoError(error: unknown, what: string): unknown {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
    return new UpstreamUnavailableError(`MongoDB unreachable while ${what}`, { cause: sanitizedCause(error) });
  }
  return error;
}

/** The host list of a connection string (`127.0.0.1:27017`), without credentials, database or options. */
export function mongoHosts(url: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(url);
  return match?.[1] ?? 'the configured MONGODB_URL';
}

/** A driver error reduced to its class and message: driver errors can embed the connection string. */
function sanitizedCause(error: unknown): Error {
  const message = error instanceof Error ? error.message.replace(/mongodb(\+srv)?:\/\/[^\s'"]*/g, '<url>') : String(error);
  const cause = new Error(message);
  cause.name = error instanceof Error ? error.name : 'Error';
  return cause;
}
