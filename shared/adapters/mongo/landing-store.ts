import { setTimeout as sleep } from 'node:timers/promises';
import { MongoBulkWriteError, MongoServerError, type Collection, type Db } from 'mongodb';
import { decodeLandingRecord, encodeLandingRecord } from '../../core/landing-encoding.ts';
import type { JsonValue } from '../../core/json.ts';
import { DataRejectedError, UpstreamUnavailableError } from '../../errors.ts';
import { toMongoError } from './mongo-client.ts';

/** Which landing run a record belongs to: the `_dp` system fields every landing document carries. */
export interface LandingRunRef {
  readonly system_id: string;
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  /** The `audit.system_run` row of this attempt: a rerun of the batch writes under its own run id. */
  readonly run_id: string;
  /** The OpenFaaS call that landed it. */
  readonly call_id: string | null;
}

/** The `_dp` field of a landing document. */
export interface LandingSystemFields extends LandingRunRef {
  /** 0-based place of the record among its landing entity's records in this run, in the order the source sent them. */
  readonly position: number;
}

/** A landing document as stored: the source record (as is, or as JSON text) beside the system fields. */
export interface LandingDocument {
  /** `<run_id>:<position>`: unique per collection, and the same when a chunk is written twice. */
  readonly _id: string;
  /**
   * `_dp.run_id` again, at the top level: the one field of the read filter FerretDB v1 hands to PostgreSQL (it
   * evaluates dotted paths in its own process, after reading every document of the collection). Absent from
   * documents landed before it existed: `readRun` reads those by `_dp` alone.
   */
  readonly _dp_run_id?: string;
  readonly _dp: LandingSystemFields;
  readonly record?: JsonValue;
  readonly record_json?: string;
}

/** A record read back for the bronze layer. */
export interface LandedRecord {
  /** The landing document's id, kept in bronze as `_dp_record_id`. */
  readonly record_id: string;
  readonly position: number;
  /** The record exactly as the source sent it. */
  readonly record: JsonValue;
}

/** Writes one landing run's records, in chunks, numbering them per landing entity. */
export interface LandingWriter {
  /**
   * Adds a record of `landing_entity`. A full chunk starts writing while the next one fills; this resolves once the
   * chunk before it is written (a failed write rejects the next `append` or `flush`).
   */
  append(landing_entity: string, record: JsonValue): Promise<void>;
  /** Writes what is still buffered and waits for every write. Call once the source's stream has ended. */
  flush(): Promise<void>;
  /**
   * Waits for a chunk still being written, whatever its outcome, and never throws: call it before a failed run's
   * records are removed, so no write lands after the removal.
   */
  settle(): Promise<void>;
  /** Records appended so far, per landing entity (written or buffered). */
  counts(): Readonly<Record<string, number>>;
  /** Records stored as JSON text because they could not be stored as they are, per landing entity. */
  encodedCounts(): Readonly<Record<string, number>>;
}

/** The landing database as the platform uses it. Append-only: records are never changed, only whole runs removed. */
export interface LandingStore {
  /** Opens a writer for one landing run. Records of different runs of a batch never mix. */
  openWriter(run: LandingRunRef): LandingWriter;
  /**
   * Streams the records one run wrote for one landing entity, by position, through a cursor: memory holds one
   * cursor batch, whatever the size of the batch. Which run to read is the caller's to know (the succeeded
   * landing run, from the audit schema): see `shared/layers/landing/read-landed-batch.ts`.
   */
  readRun(ref: { readonly system_id: string; readonly landing_entity: string; readonly batch_id: string; readonly run_id: string }): AsyncIterable<LandedRecord>;
  /** Removes one run's records (a failed attempt), in every collection of the system. */
  removeRun(ref: { readonly system_id: string; readonly batch_id: string; readonly run_id: string }): Promise<number>;
  /** The landing entities of a system that have a collection. */
  listLandingEntities(system_id: string): Promise<string[]>;
}

/** Tuning of the store; the defaults suit a function with a few hundred MB of memory. */
export interface LandingStoreOptions {
  /** Records per insert. Default 500. */
  readonly chunkRecords?: number;
  /** Approximate bytes per insert (JSON size of the records); a chunk is written once it reaches this. Default 4 MiB. */
  readonly chunkBytes?: number;
  /** Documents per round trip when reading. Default 1000. */
  readonly readBatchSize?: number;
}

/** Separates the system id from the landing entity in a collection name: `TST01__customers`. */
export const COLLECTION_SEPARATOR = '__';
const LANDING_ENTITY_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const DUPLICATE_KEY = 11000;
const WRITE_ATTEMPTS = 3;

/**
 * The filter of one landing run's documents, as bronze's read and the bench's raw `find` use it. The `_dp` fields
 * are the landing index's prefix (MongoDB answers from the index, sorted by `_dp.position`); the top-level
 * `_dp_run_id` is what FerretDB v1 pushes down to PostgreSQL, so it decodes only the run's documents instead of
 * the whole collection (its PostgreSQL still scans the table: FerretDB's indexes cannot serve its `@>` filters).
 */
export function landingRunFilter(ref: { readonly batch_id: string; readonly run_id: string }): Record<string, string> {
  return { _dp_run_id: ref.run_id, '_dp.batch_id': ref.batch_id, '_dp.run_id': ref.run_id };
}

/** The filter of one landing run's documents that also finds documents landed before `_dp_run_id` existed. */
function legacyRunFilter(ref: { readonly batch_id: string; readonly run_id: string }): Record<string, string> {
  return { '_dp.batch_id': ref.batch_id, '_dp.run_id': ref.run_id };
}

/** The collection of a system's landing entity. Refuses names that would not be identifiers downstream. */
export function landingCollectionName(system_id: string, landing_entity: string): string {
  if (!LANDING_ENTITY_NAME.test(landing_entity)) {
    throw new DataRejectedError(
      `landing entity "${landing_entity}" of system ${system_id}: expected snake_case (a lower-case letter, then letters, digits or _; at most 63)`,
    );
  }
  return `${system_id}${COLLECTION_SEPARATOR}${landing_entity}`;
}

/**
 * The landing store on MongoDB or FerretDB (database `landing` in production): one collection per system and
 * landing entity, one document per source record. Each run of a batch writes under its own run id, so a failed
 * or concurrent (taken-over) attempt never mixes with the run that succeeded; readers name the run they read.
 */
export function createLandingStore(db: Db, options: LandingStoreOptions = {}): LandingStore {
  const chunkRecords = options.chunkRecords ?? 500;
  const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  const readBatchSize = options.readBatchSize ?? 1000;
  const indexed = new Set<string>();

  async function collectionFor(system_id: string, landing_entity: string): Promise<Collection<LandingDocument>> {
    const name = landingCollectionName(system_id, landing_entity);
    const collection = db.collection<LandingDocument>(name);
    if (!indexed.has(name)) {
      try {
        await collection.createIndex({ '_dp.batch_id': 1, '_dp.run_id': 1, '_dp.position': 1 });
      } catch (error) {
        throw toMongoError(error, `indexing landing collection ${name}`);
      }
      indexed.add(name);
    }
    return collection;
  }

  async function systemCollections(system_id: string): Promise<string[]> {
    try {
      const listed = await db.listCollections({}, { nameOnly: true }).toArray();
      const prefix = `${system_id}${COLLECTION_SEPARATOR}`;
      return listed.map((entry) => entry.name).filter((name) => name.startsWith(prefix)).sort();
    } catch (error) {
      throw toMongoError(error, `listing the landing collections of ${system_id}`);
    }
  }

  async function removeWhere(system_id: string, filter: Record<string, unknown>, what: string): Promise<number> {
    let removed = 0;
    for (const name of await systemCollections(system_id)) {
      try {
        removed += (await db.collection(name).deleteMany(filter)).deletedCount;
      } catch (error) {
        throw toMongoError(error, `removing ${what} from ${name}`);
      }
    }
    return removed;
  }

  return {
    openWriter(run) {
      const buffers = new Map<string, { documents: LandingDocument[]; bytes: number }>();
      const counts: Record<string, number> = {};
      const encoded: Record<string, number> = {};
      // One chunk is written while the next fills: the source and the encoding work in this process while the
      // database works on the insert, and memory holds at most one chunk more.
      let inFlight: Promise<void> | undefined;

      async function write(landing_entity: string): Promise<void> {
        const buffer = buffers.get(landing_entity);
        if (!buffer || buffer.documents.length === 0) return;
        buffers.set(landing_entity, { documents: [], bytes: 0 });
        await inFlight;
        const collection = await collectionFor(run.system_id, landing_entity);
        inFlight = insertChunk(collection, buffer.documents, landing_entity);
        inFlight.catch(() => undefined); // awaited by the next write, `flush` or `settle`; not unhandled meanwhile
      }

      return {
        async append(landing_entity, record) {
          landingCollectionName(run.system_id, landing_entity); // refuses a bad name before anything is buffered
          const position = counts[landing_entity] ?? 0;
          counts[landing_entity] = position + 1;
          const stored = encodeLandingRecord(record);
          if ('record_json' in stored) encoded[landing_entity] = (encoded[landing_entity] ?? 0) + 1;
          const document: LandingDocument = {
            _id: `${run.run_id}:${position}`,
            _dp_run_id: run.run_id,
            _dp: { ...run, position },
            ...stored,
          };
          const buffer = buffers.get(landing_entity) ?? { documents: [], bytes: 0 };
          buffer.documents.push(document);
          buffer.bytes += approximateBytes(stored);
          buffers.set(landing_entity, buffer);
          if (buffer.documents.length >= chunkRecords || buffer.bytes >= chunkBytes) await write(landing_entity);
        },
        async flush() {
          for (const landing_entity of [...buffers.keys()]) await write(landing_entity);
          await inFlight;
        },
        async settle() {
          await inFlight?.catch(() => undefined);
        },
        counts: () => ({ ...counts }),
        encodedCounts: () => ({ ...encoded }),
      };
    },

    async *readRun(ref) {
      const collection = await collectionFor(ref.system_id, ref.landing_entity);
      const what = `${landingCollectionName(ref.system_id, ref.landing_entity)} batch ${ref.batch_id}`;
      let read = 0;
      for await (const record of readWhere(collection, landingRunFilter(ref), readBatchSize, what)) {
        read += 1;
        yield record;
      }
      if (read > 0 || !(await landedWithoutRunField(collection, ref.run_id, what))) return;
      yield* readWhere(collection, legacyRunFilter(ref), readBatchSize, what);
    },

    // the legacy filter: it also removes documents landed before `_dp_run_id` (rare: failed attempts only)
    removeRun: ({ system_id, batch_id, run_id }) =>
      removeWhere(system_id, legacyRunFilter({ batch_id, run_id }), `run ${run_id} of batch ${batch_id}`),

    async listLandingEntities(system_id) {
      const prefix = `${system_id}${COLLECTION_SEPARATOR}`;
      return (await systemCollections(system_id)).map((name) => name.slice(prefix.length));
    },
  };
}

/** Streams the documents `filter` finds, by position, through a cursor of `readBatchSize` documents. */
async function* readWhere(
  collection: Collection<LandingDocument>,
  filter: Record<string, string>,
  readBatchSize: number,
  what: string,
): AsyncIterable<LandedRecord> {
  const cursor = collection.find(filter).sort({ '_dp.position': 1 }).batchSize(readBatchSize);
  try {
    for await (const document of cursor) {
      yield { record_id: document._id, position: document._dp.position, record: decodeLandingRecord(document) };
    }
  } catch (error) {
    throw toMongoError(error, `reading ${what}`);
  } finally {
    await cursor.close().catch(() => undefined);
  }
}

/**
 * Whether a run found nothing by `_dp_run_id` because it was landed before that field existed: its first document
 * (`<run_id>:0`; a run's documents all come from one call, so all have the field or none has) is there without
 * it. Looked up by `_id`, a top-level filter FerretDB pushes down: an empty run costs no decoding of the collection.
 */
async function landedWithoutRunField(collection: Collection<LandingDocument>, run_id: string, what: string): Promise<boolean> {
  try {
    const first = await collection.findOne({ _id: `${run_id}:0` }, { projection: { _id: 1, _dp_run_id: 1 } });
    return first !== null && first._dp_run_id === undefined;
  } catch (error) {
    throw toMongoError(error, `reading ${what}`);
  }
}

/**
 * Inserts one chunk. A chunk lost to a network error is sent again: ids are deterministic, so documents the
 * first attempt did store come back as duplicate keys, which mean "already there", not failure.
 */
async function insertChunk(collection: Collection<LandingDocument>, documents: LandingDocument[], landing_entity: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await collection.insertMany(documents, { ordered: false });
      return;
    } catch (error) {
      if (error instanceof MongoBulkWriteError && onlyDuplicates(error)) return;
      const mapped = toMongoError(error, `writing ${collection.collectionName}`);
      if (mapped instanceof UpstreamUnavailableError && attempt < WRITE_ATTEMPTS) {
        await sleep(200 * attempt);
        continue;
      }
      if (mapped instanceof UpstreamUnavailableError || !(error instanceof MongoServerError)) throw mapped;
      const first = documents[0]?._dp.position ?? 0;
      throw new DataRejectedError(
        `landing entity ${landing_entity}, records ${first}–${first + documents.length - 1}: the database refused them (${error.message})`,
        { cause: error },
      );
    }
  }
}

function onlyDuplicates(error: MongoBulkWriteError): boolean {
  const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return errors.length > 0 && errors.every((each) => each.code === DUPLICATE_KEY);
}

/** A cheap size estimate for chunking: the JSON text length of what is stored. */
function approximateBytes(stored: { readonly record?: JsonValue; readonly record_json?: string }): number {
  if (stored.record_json !== undefined) return stored.record_json.length;
  return JSON.stringify(stored.record ?? null).length;
}
