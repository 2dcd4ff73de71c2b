import * as z from 'zod';
import type { ConnectorCursor } from '../connector.ts';
import type { NightscoutBoundary } from './date-window-walk.ts';
import { HISTORY_COLLECTIONS, type HistoryCollection } from './nightscout-collections.ts';

const Boundary = z.strictObject({ since_ms: z.int().nonnegative(), ids_at_since: z.array(z.string()) });
// partial: a system may read only some collections
const PerCollection = <T extends z.ZodType>(value: T) => z.partialRecord(z.enum(HISTORY_COLLECTIONS), value);

/** Version 1 (API v1 only): the dated boundaries. Still read, so an upgrade continues where it stood. */
const PositionV1 = z.strictObject({ version: z.literal(1), collections: PerCollection(Boundary) });

/**
 * The Nightscout connector's cursor position (JSON in `audit.cursor.position`). Per collection: `collections`, the
 * API v1 dated boundary (the newest date landed and the `_id`s at it); `history`, the API v3 change-feed boundary
 * (the newest `srvModified` landed and the identifiers at it); `lookback_at`, when the dated read last looked back
 * (a batch timestamp, epoch ms). The window columns of the cursor row hold the batch window.
 */
export const NightscoutPosition = z.strictObject({
  version: z.literal(2),
  collections: PerCollection(Boundary),
  history: PerCollection(Boundary),
  lookback_at: PerCollection(z.int().nonnegative()),
});
export type NightscoutPosition = z.infer<typeof NightscoutPosition>;

/** What one batch moved, per collection. */
export interface NightscoutProgress {
  readonly collections: Partial<Record<HistoryCollection, NightscoutBoundary>>;
  readonly history: Partial<Record<HistoryCollection, NightscoutBoundary>>;
  readonly lookback_at: Partial<Record<HistoryCollection, number>>;
}

/** The position a cursor holds (a version 1 one upgraded); `undefined` when it holds none this connector wrote. */
export function readNightscoutPosition(cursor: ConnectorCursor | undefined): NightscoutPosition | undefined {
  if (!cursor?.position) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(cursor.position);
  } catch {
    return undefined;
  }
  const current = NightscoutPosition.safeParse(json);
  if (current.success) return current.data;
  const v1 = PositionV1.safeParse(json);
  return v1.success ? { version: 2, collections: v1.data.collections, history: {}, lookback_at: {} } : undefined;
}

/** The position text to record: what this batch moved, never behind the previous position. */
export function writeNightscoutPosition(previous: NightscoutPosition | undefined, progress: NightscoutProgress): string {
  const position: NightscoutPosition = {
    version: 2,
    collections: ahead(previous?.collections, progress.collections),
    history: ahead(previous?.history, progress.history),
    lookback_at: { ...previous?.lookback_at, ...progress.lookback_at },
  };
  return JSON.stringify(position);
}

type Boundaries = NightscoutPosition['collections'];

function ahead(before: Boundaries | undefined, moved: NightscoutProgress['collections']): Boundaries {
  const result: Boundaries = { ...before };
  for (const collection of HISTORY_COLLECTIONS) {
    const boundary = moved[collection];
    const kept = result[collection];
    if (boundary && (!kept || boundary.since_ms >= kept.since_ms)) result[collection] = { since_ms: boundary.since_ms, ids_at_since: [...boundary.ids_at_since] };
  }
  return result;
}
