import * as z from 'zod';
import type { ConnectorCursor } from '../connector.ts';
import type { NightscoutBoundary } from './date-window-walk.ts';

/**
 * The Nightscout connector's cursor position (JSON in `audit.cursor.position`): per dated collection, the newest
 * date landed and the ids landed at exactly that date. The window columns of the cursor row hold the batch
 * window; the boundaries here are what the next run starts from.
 */
export const NightscoutPosition = z.strictObject({
  version: z.literal(1),
  collections: z.record(
    z.enum(['entries', 'treatments', 'devicestatus']),
    z.strictObject({ since_ms: z.int().nonnegative(), ids_at_since: z.array(z.string()) }),
  ),
});
export type NightscoutPosition = z.infer<typeof NightscoutPosition>;

/** The boundaries a cursor holds; `undefined` when it holds none this connector wrote. */
export function readNightscoutPosition(cursor: ConnectorCursor | undefined): NightscoutPosition | undefined {
  if (!cursor?.position) return undefined;
  try {
    const parsed = NightscoutPosition.safeParse(JSON.parse(cursor.position));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The position text to record: the new boundaries, never behind the previous ones. */
export function writeNightscoutPosition(
  previous: NightscoutPosition | undefined,
  boundaries: Readonly<Partial<Record<keyof NightscoutPosition['collections'], NightscoutBoundary>>>,
): string {
  const collections: Record<string, NightscoutBoundary> = { ...previous?.collections };
  for (const [collection, boundary] of Object.entries(boundaries)) {
    const before = collections[collection];
    if (boundary && (!before || boundary.since_ms >= before.since_ms)) collections[collection] = boundary;
  }
  return JSON.stringify({ version: 1, collections });
}
