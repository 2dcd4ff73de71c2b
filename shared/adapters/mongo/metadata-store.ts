import type { Db } from 'mongodb';
import { v7 as uuidv7 } from 'uuid';
import * as z from 'zod';
import { METADATA_KINDS, type MetadataKind } from '../../metadata/metadata-set.ts';
import { toMongoError } from './mongo-client.ts';

/** The metadata records of one deploy, by kind, in file order (as JSON values; the store knows no schema). */
export type MetadataRecords = Readonly<Record<MetadataKind, readonly unknown[]>>;

/** The `deploys` document readers start from: which generation is active. Switching it is the atomic swap. */
export const ActivePointer = z.object({
  _id: z.literal('active'),
  generation: z.string(),
  hash: z.string(),
  deployed_at: z.date(),
  previous: z.string().nullable(),
});
export type ActivePointer = z.infer<typeof ActivePointer>;

/** One deploy in the `deploys` log: `writing` → `active` → `retired` (its records removed later). */
export interface DeployLogEntry {
  _id: string;
  hash: string;
  status: 'writing' | 'active' | 'retired' | 'abandoned';
  started_at: Date;
  deployed_at?: Date;
  retired_at?: Date;
  removed_at?: Date;
  counts: Record<MetadataKind, number>;
}

/** The outcome of a deploy. */
export interface DeployResult {
  readonly status: 'deployed' | 'unchanged';
  readonly generation: string;
  readonly hash: string;
  readonly previous: string | null;
}

/** The metadata database as the platform uses it: deploy a generation, find the active one, read it. */
export interface MetadataStore {
  /** The active pointer, or undefined before the first deploy. */
  readActive(): Promise<ActivePointer | undefined>;
  /** A generation's records by kind, in file order. Records of a removed generation come back short or empty. */
  readGeneration(generation: string): Promise<MetadataRecords>;
  /**
   * Writes the records as a new generation beside the active one, then switches the pointer to it in one
   * document update, so readers see the old set or the new one, whole. Retired generations but the latest are
   * removed. Same hash as the active deploy: nothing is written unless `force`.
   */
  deploy(records: MetadataRecords, hash: string, options: { now: Date; force?: boolean }): Promise<DeployResult>;
}

/**
 * Retired generations whose records are kept: a reader that read the pointer just before a swap can still read
 * the generation it was pointed at. (A reader that loses even that race sees a hash mismatch and reads again.)
 */
const KEEP_RETIRED = 1;
/** A deploy still `writing` after this long has crashed; its records are removed. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

interface RecordDocument {
  _id: string;
  generation: string;
  position: number;
  record: unknown;
}

/**
 * The metadata store on MongoDB/FerretDB. Collections `systems`, `entities`, `actions` hold the records of every
 * kept generation (`{generation, position, record}`); `deploys` holds the active pointer (`_id: "active"`) and the
 * deploy log. FerretDB v1.24 has no `renameCollection` with `dropTarget` and no transactions, so the swap is the
 * pointer, not a rename: one document update is atomic on both.
 */
export function createMetadataStore(db: Db): MetadataStore {
  const deploys = db.collection<DeployLogEntry | ActivePointer>('deploys');
  const records = (kind: MetadataKind) => db.collection<RecordDocument>(kind);
  let indexed = false;

  async function ensureIndexes(): Promise<void> {
    if (indexed) return;
    await Promise.all(METADATA_KINDS.map((kind) => records(kind).createIndex({ generation: 1, position: 1 })));
    indexed = true;
  }

  async function removeGeneration(generation: string, status: DeployLogEntry['status'], now: Date): Promise<void> {
    await Promise.all(METADATA_KINDS.map((kind) => records(kind).deleteMany({ generation })));
    await deploys.updateOne({ _id: generation }, { $set: { status, removed_at: now } });
  }

  /** Removes retired generations but the latest `KEEP_RETIRED`, and crashed deploys. */
  async function cleanUp(now: Date): Promise<void> {
    const retired = (await deploys
      .find({ status: 'retired', removed_at: { $exists: false } })
      .sort({ retired_at: -1, _id: -1 })
      .toArray()) as DeployLogEntry[];
    for (const entry of retired.slice(KEEP_RETIRED)) await removeGeneration(entry._id, 'retired', now);
    const stale = (await deploys
      .find({ status: 'writing', started_at: { $lt: new Date(now.getTime() - ABANDONED_AFTER_MS) } })
      .toArray()) as DeployLogEntry[];
    for (const entry of stale) await removeGeneration(entry._id, 'abandoned', now);
  }

  const store: MetadataStore = {
    async readActive() {
      try {
        const pointer = await deploys.findOne({ _id: 'active' });
        return pointer === null ? undefined : ActivePointer.parse(pointer);
      } catch (error) {
        throw toMongoError(error, 'reading the active metadata deploy');
      }
    },

    async readGeneration(generation) {
      try {
        const entries = await Promise.all(
          METADATA_KINDS.map(async (kind) => {
            const documents = await records(kind).find({ generation }).sort({ position: 1 }).toArray();
            return [kind, documents.map((document) => document.record)] as const;
          }),
        );
        return Object.fromEntries(entries) as Record<MetadataKind, unknown[]>;
      } catch (error) {
        throw toMongoError(error, `reading metadata generation ${generation}`);
      }
    },

    async deploy(recordsByKind, hash, { now, force = false }) {
      try {
        const active = await store.readActive();
        if (active && active.hash === hash && !force) {
          return { status: 'unchanged', generation: active.generation, hash, previous: active.previous };
        }
        await ensureIndexes();
        const generation = uuidv7();
        const counts = Object.fromEntries(METADATA_KINDS.map((kind) => [kind, recordsByKind[kind].length])) as Record<
          MetadataKind,
          number
        >;
        await deploys.insertOne({ _id: generation, hash, status: 'writing', started_at: now, counts });
        for (const kind of METADATA_KINDS) {
          const documents = recordsByKind[kind].map((record, position) => ({
            _id: `${generation}:${position}`,
            generation,
            position,
            record,
          }));
          if (documents.length > 0) await records(kind).insertMany(documents, { ordered: true });
        }
        // The swap: one document, so a reader sees the old generation or the new one. `before` tells which
        // generation this deploy replaced, even when another deploy switched in between.
        const before = await deploys.findOneAndUpdate(
          { _id: 'active' },
          { $set: { generation, hash, deployed_at: now, previous: active?.generation ?? null } },
          { upsert: true, returnDocument: 'before' },
        );
        const previous = before === null ? null : ActivePointer.parse(before).generation;
        await deploys.updateOne({ _id: generation }, { $set: { status: 'active', deployed_at: now } });
        if (previous !== null) {
          await deploys.updateOne({ _id: previous }, { $set: { status: 'retired', retired_at: now } });
          if (previous !== active?.generation) {
            await deploys.updateOne({ _id: 'active', generation }, { $set: { previous } });
          }
        }
        await cleanUp(now);
        return { status: 'deployed', generation, hash, previous };
      } catch (error) {
        throw toMongoError(error, 'deploying metadata');
      }
    },
  };
  return store;
}
