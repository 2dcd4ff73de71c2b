import type { JsonValue } from '../../../core/json.ts';
import type { ConnectorRequest, LandingItem } from '../connector.ts';
import type { NightscoutBoundary } from './date-window-walk.ts';
import { HistoryWalk } from './history-walk.ts';
import { readRecordKey, type HistoryCollection } from './nightscout-collections.ts';
import type { CollectionRead } from './nightscout-v1-reads.ts';
import type { V3Client } from './nightscout-v3-client.ts';

/**
 * Reads a collection's API v3 change feed from `from`, oldest change first, walked with `HistoryWalk`, until it is
 * exhausted or the page budget is spent (the boundary then stands at the newest change landed and the next batch
 * continues: the feed is ordered, so nothing is skipped). Adds every landed document's key to `landedKeys`.
 */
export async function* readHistory(
  v3: V3Client,
  collection: HistoryCollection,
  from: NightscoutBoundary,
  request: ConnectorRequest<'nightscout'>,
  maxPages: number,
  landedKeys: Set<string>,
): AsyncGenerator<LandingItem, CollectionRead> {
  const walk = new HistoryWalk(collection, from, request.system.connection.page_size);
  let pages = 0;
  for (let isDone = false; !isDone; ) {
    if (pages >= maxPages) return { boundary: walk.boundary(), landed: walk.landed, pages, isComplete: false };
    request.signal?.throwIfAborted();
    const page = await v3.history(walk.request(), request.signal);
    pages += 1;
    const outcome = walk.accept(page);
    for (const record of outcome.fresh) {
      landedKeys.add(readRecordKey(record) as string); // the walk refuses documents without one
      yield { landing_entity: collection, record: record as JsonValue };
    }
    isDone = outcome.isDone;
  }
  return { boundary: walk.boundary(), landed: walk.landed, pages, isComplete: true };
}
