import { Writable } from 'node:stream';
import type { JsonValue } from '../../../shared/core/json.ts';
import type { ConnectorBatch, ConnectorCursor, ConnectorRequest, LandingItem, RecordsBatch } from '../../../shared/layers/landing/connector.ts';
import { createLogger, type Logger } from '../../../shared/log.ts';
import type { SystemType } from '../../../shared/metadata/system-schema.ts';

/** A logger whose lines are kept in memory, to assert that no secret reaches a log line. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ test: 'connectors' }, sink);
  log.level = 'debug';
  return { log, lines };
}

/** A connector request for a batch at `batch_timestamp`, continuing from `cursor` as land-system would. */
export function connectorRequest<Type extends SystemType>(
  system: ConnectorRequest<Type>['system'],
  options: {
    batch_timestamp: Date;
    cursor?: ConnectorCursor;
    landing_entities: readonly string[];
    log: Logger;
    options?: Record<string, JsonValue>;
    window?: { start: Date | null; end: Date };
    lookback?: ConnectorRequest['lookback'];
  },
): ConnectorRequest<Type> {
  return {
    system,
    batch_id: '01900000-0000-7000-8000-000000000000',
    batch_timestamp: options.batch_timestamp,
    landing_entities: options.landing_entities,
    ...(options.lookback ? { lookback: options.lookback } : {}),
    cursor: options.cursor,
    window: options.window ?? { start: options.cursor?.window_end ?? null, end: options.batch_timestamp },
    options: options.options ?? {},
    log: options.log,
  };
}

/** Reads a batch to its end: the items by landing entity, and the cursor it would record. */
export async function drain(batch: ConnectorBatch): Promise<{ items: LandingItem[]; byEntity: Record<string, JsonValue[]>; cursor: ConnectorCursor | undefined }> {
  if (batch.kind !== 'records') throw new Error(`expected records, got nothing_new: ${batch.reason}`);
  const items: LandingItem[] = [];
  for await (const item of (batch as RecordsBatch).records) items.push(item);
  const byEntity: Record<string, JsonValue[]> = {};
  for (const item of items) (byEntity[item.landing_entity] ??= []).push(item.record);
  const next = batch.nextCursor();
  return { items, byEntity, cursor: next ? { window_start: next.window_start, window_end: next.window_end, position: next.position ?? null } : undefined };
}

/** HTTP tuning that keeps retries quick in tests (the production defaults wait up to seconds). */
export const FAST_RETRY = { retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5000 } } as const;
