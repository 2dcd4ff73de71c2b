import { describe, expect, it } from 'vitest';
import { batchRecords } from '../../../dev/bench/bench-records.ts';
import { BENCH_ENTITIES, BENCH_SYSTEM, benchMetadata } from '../../../dev/bench/bench-metadata.ts';
import type { LandedRecord } from '../../../shared/adapters/mongo/landing-store.ts';
import { ColumnCollisionError } from '../../../shared/core/errors.ts';
import type { JsonValue } from '../../../shared/core/json.ts';
import { resolveBronzeEntity } from '../../../shared/layers/bronze/bronze-entity.ts';
import { startBronzeRowWorker } from '../../../shared/layers/bronze/bronze-row-worker.ts';
import { streamBronzeRows, type BronzeRows, type BronzeRowsConfig } from '../../../shared/layers/bronze/bronze-rows.ts';

// The worker thread must make exactly what this thread makes: the same COPY bytes in the same order, the same
// counts and the same check results, and the same errors. Both paths are run on one batch and compared.

const BATCH_ID = '0192a6c0-0000-7000-8000-0000000000aa';
const WRITE = { batch_id: BATCH_ID, batch_timestamp: '2026-01-01 00:00:00.123456+00', call_id: 'call\twith a tab', run_number: 2 };

function config(entity_id: string, max_tracked_keys?: number): BronzeRowsConfig {
  const bronze = resolveBronzeEntity(benchMetadata(), BENCH_SYSTEM, entity_id);
  return { bronze, write: WRITE, options: { previous_row_count: 900, ...(max_tracked_keys === undefined ? {} : { max_tracked_keys }) } };
}

/** 1,000 bench customers (several messages to the worker), with what bronze must reject or report among them. */
function landed(extra: readonly JsonValue[] = []): LandedRecord[] {
  const records: JsonValue[] = [...batchRecords(1000, 1)];
  const damaged = { ...(records[10] as Record<string, JsonValue>), visits: 'many', tier: 'platinum', extra_field: 1 };
  records[10] = damaged;
  records[20] = [1, 2, 3];
  records.push(records[30]!, ...extra); // a duplicate key
  return records.map((record, position) => ({ record_id: `run:${position}`, position, record }));
}

async function* source(records: readonly LandedRecord[]): AsyncGenerator<LandedRecord> {
  yield* records;
}

async function drain(rows: BronzeRows, duplicates?: boolean) {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of rows.text) chunks.push(Buffer.from(chunk));
    const overflowed = rows.keysOverflowed();
    const results = await rows.finish(duplicates === true && overflowed ? { count: 7, samples: [['c1']] } : undefined);
    return { text: Buffer.concat(chunks).toString('utf8'), overflowed, ...results };
  } finally {
    await rows.close();
  }
}

describe('startBronzeRowWorker', () => {
  it.each(BENCH_ENTITIES)('makes the same COPY text, counts and check results as this thread does (%s)', async (entity_id) => {
    const records = landed();
    const inThread = await drain(streamBronzeRows(source(records), config(entity_id)));
    const inWorker = await drain(startBronzeRowWorker(source(records), config(entity_id)));
    expect(inWorker).toEqual(inThread);
    // The comparison means something: rows were written, some rejected, and checks failed.
    expect(inThread.counts.rows_written).toBeGreaterThan(900);
    expect(inThread.counts.rows_rejected).toBeGreaterThan(0);
    expect(inThread.checks.some((check) => !check.passed)).toBe(true);
    expect(inThread.text).toContain('\tcall\\twith a tab\t2\trun:0\t0\n');
  });

  it('reports overflowing keys and takes the duplicates counted elsewhere, as this thread does', async () => {
    const inThread = await drain(streamBronzeRows(source(landed()), config('bench_customer', 100)), true);
    const inWorker = await drain(startBronzeRowWorker(source(landed()), config('bench_customer', 100)), true);
    expect(inThread.overflowed).toBe(true);
    expect(inWorker).toEqual(inThread);
    expect(inWorker.checks.find((check) => check.check === 'key_unique')).toMatchObject({ observed: 7, passed: false });
  });

  it('rethrows a processing error with its class and message, and a load after it works', async () => {
    // `address_city` at the top and `address.city` both flatten onto the model's column address_city.
    const colliding = { ...(batchRecords(1, 1).next().value as Record<string, JsonValue>), address_city: 'Utrecht' };
    const records = landed([colliding]);
    const expected = await drain(streamBronzeRows(source(records), config('bench_customer'))).catch((error: unknown) => error);
    expect(expected).toBeInstanceOf(ColumnCollisionError);
    const failure = await drain(startBronzeRowWorker(source(records), config('bench_customer'))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ColumnCollisionError);
    expect((failure as Error).message).toBe((expected as Error).message);

    const again = await drain(startBronzeRowWorker(source(landed()), config('bench_customer')));
    expect(again.counts.records_in).toBe(1001);
  });

  it('reads the source only as far as COPY pulls (a few messages ahead), and stops with it', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<LandedRecord> {
      for (const record of batchRecords(10_000, 1)) {
        yield { record_id: `run:${read}`, position: read, record };
        read += 1;
      }
    }
    const rows = startBronzeRowWorker(counted(), config('bench_customer'));
    for await (const chunk of rows.text) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    await rows.close();
    expect(read).toBeLessThan(2_000);
  });
});
