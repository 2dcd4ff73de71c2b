import { describe, expect, it } from 'vitest';
import { batchRecords } from '../../../dev/bench/bench-records.ts';
import { BENCH_ENTITIES, BENCH_SYSTEM, benchMetadata } from '../../../dev/bench/bench-metadata.ts';
import type { LandedRecord } from '../../../shared/adapters/mongo/landing-store.ts';
import { ColumnCollisionError } from '../../../shared/core/errors.ts';
import type { JsonValue } from '../../../shared/core/json.ts';
import { resolveBronzeEntity } from '../../../shared/layers/bronze/bronze-entity.ts';
import { createBronzeRowBuilder, streamBronzeRows, type BronzeRows, type BronzeRowsConfig } from '../../../shared/layers/bronze/bronze-rows.ts';

// The rows bronze streams to COPY: the same bytes as the row builder emits line by line (chunking changes
// nothing), whole rows per chunk, counts and check results over a batch with rejects, overflowing keys, errors,
// and the source read only as far as COPY pulls.

const BATCH_ID = '0192a6c0-0000-7000-8000-0000000000aa';
const WRITE = { batch_id: BATCH_ID, batch_timestamp: '2026-01-01 00:00:00.123456+00', call_id: 'call\twith a tab', run_number: 2 };

function config(entity_id: string, max_tracked_keys?: number): BronzeRowsConfig {
  const bronze = resolveBronzeEntity(benchMetadata(), BENCH_SYSTEM, entity_id);
  return { bronze, write: WRITE, options: { previous_row_count: 900, ...(max_tracked_keys === undefined ? {} : { max_tracked_keys }) } };
}

/** 1,000 bench customers (several COPY chunks), with what bronze must reject or report among them. */
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
  const chunks: string[] = [];
  for await (const chunk of rows.text) chunks.push(Buffer.from(chunk).toString('utf8'));
  const overflowed = rows.needsTableDuplicateCount();
  const results = rows.finish(duplicates === true && overflowed ? { count: 7, samples: [['c1']] } : undefined);
  return { chunks, text: chunks.join(''), overflowed, ...results };
}

describe('streamBronzeRows', () => {
  it.each(BENCH_ENTITIES)('streams exactly the lines the row builder makes, with its counts and check results (%s)', async (entity_id) => {
    const records = landed();
    const streamed = await drain(streamBronzeRows(source(records), config(entity_id)));

    const { bronze, write, options } = config(entity_id);
    const builder = createBronzeRowBuilder(bronze, write, options);
    let lines = '';
    for (const record of records) builder.addRecord(record, (line) => (lines += line));
    expect(streamed.text).toBe(lines);
    expect(streamed.counts).toEqual(builder.counts());
    expect(streamed.checks).toEqual(builder.checkResults());

    // Whole rows per chunk, more than one chunk, one line per row written.
    expect(streamed.chunks.length).toBeGreaterThan(1);
    for (const chunk of streamed.chunks) expect(chunk.endsWith('\n')).toBe(true);
    expect(streamed.text.split('\n').length - 1).toBe(streamed.counts.rows_written);
    // The batch means something: rows were written, some rejected, and checks failed.
    expect(streamed.counts.records_in).toBe(1001);
    expect(streamed.counts.rows_written).toBeGreaterThan(900);
    expect(streamed.counts.rows_rejected).toBeGreaterThan(0);
    expect(streamed.checks.some((check) => !check.passed)).toBe(true);
    expect(streamed.text).toContain('\tcall\\twith a tab\t2\trun:0\t0\n');
  });

  it('reports overflowing keys and takes the duplicates counted in the table', async () => {
    const rows = await drain(streamBronzeRows(source(landed()), config('bench_customer', 100)), true);
    expect(rows.overflowed).toBe(true);
    expect(rows.checks.find((check) => check.check === 'key_unique')).toMatchObject({ observed: 7, passed: false });
    const within = await drain(streamBronzeRows(source(landed()), config('bench_customer')));
    expect(within.overflowed).toBe(false);
  });

  it('throws a processing error from the text stream, and a load after it works', async () => {
    // `address_city` at the top and `address.city` both flatten onto the model's column address_city.
    const colliding = { ...(batchRecords(1, 1).next().value as Record<string, JsonValue>), address_city: 'Utrecht' };
    await expect(drain(streamBronzeRows(source(landed([colliding])), config('bench_customer')))).rejects.toBeInstanceOf(ColumnCollisionError);
    const again = await drain(streamBronzeRows(source(landed()), config('bench_customer')));
    expect(again.counts.records_in).toBe(1001);
  });

  it('reads the source only as far as COPY pulls, and stops with it', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<LandedRecord> {
      for (const record of batchRecords(10_000, 1)) {
        yield { record_id: `run:${read}`, position: read, record };
        read += 1;
      }
    }
    const rows = streamBronzeRows(counted(), config('bench_customer'));
    for await (const chunk of rows.text) {
      expect(chunk.byteLength).toBeGreaterThan(0);
      break;
    }
    expect(read).toBeLessThan(2_000);
  });
});
