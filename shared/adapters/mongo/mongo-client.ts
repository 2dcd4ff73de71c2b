import { MongoClient, MongoNetworkError, MongoServerError, MongoServerSelectionError, type MongoClientOptions } from 'mongodb';
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

/** MongoDB's server codes for "not now": host unreachable or not found, network timeout, shutting down, stepped down. */
const UNAVAILABLE_SERVER_CODES = new Set([6, 7, 89, 91, 189, 10_107, 11_600, 11_602, 13_435, 13_436]);

/**
 * FerretDB answering while the PostgreSQL it stores in is down: its error carries PostgreSQL's words (a connection
 * refused, SQLSTATE 57P01–57P03 shutting down or starting, class 08 connection exceptions).
 */
const STORAGE_UNAVAILABLE = /SQLSTATE (57P0[123]|08[0-9A-Z]{3})|failed to connect to|connection refused|the database system is (shutting down|starting up)/i;

/** Turns a driver error that means "MongoDB is not there right now" into `UpstreamUnavailableError`; others pass. */
export function toMongoError(error: unknown, what: string): unknown {
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
    return new UpstreamUnavailableError(`MongoDB unreachable while ${what}`, { cause: sanitizedCause(error) });
  }
  if (error instanceof MongoServerError && (UNAVAILABLE_SERVER_CODES.has(Number(error.code)) || STORAGE_UNAVAILABLE.test(error.message))) {
    return new UpstreamUnavailableError(`MongoDB (or its storage) unavailable while ${what}`, { cause: sanitizedCause(error) });
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
