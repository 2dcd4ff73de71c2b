/**
 * Bronze's own memory for large N, without the databases (docs/benchmark.md, "Memory"): the bench's generated
 * records go through bronze's row builder (`createBronzeRowBuilder`: processor, coercion, checks) and COPY's text
 * encoder for each bench entity, in this process. What grows with N here grows in a bronze call too.
 *
 *   node --expose-gc --import tsx dev/bench/measure-bronze-rows.ts [rows=1000000]
 */
import { resolveBronzeEntity } from '../../shared/layers/bronze/bronze-entity.ts';
import { createBronzeRowBuilder } from '../../shared/layers/bronze/bronze-rows.ts';
import { BENCH_ENTITIES, BENCH_SYSTEM, benchMetadata } from './bench-metadata.ts';
import { batchRecords } from './bench-records.ts';

const MiB = 1024 * 1024;
const BATCH_ID = '0192a6c0-0000-7000-8000-000000000001';

async function measure(rows: number, entity_id: string): Promise<void> {
  const bronze = resolveBronzeEntity(benchMetadata(), BENCH_SYSTEM, entity_id);
  const started = performance.now();
  const builder = createBronzeRowBuilder(bronze, { batch_id: BATCH_ID, batch_timestamp: '2026-01-01 00:00:00+00', call_id: 'measure', run_number: 1 }, { previous_row_count: null });
  let written = 0;
  let pending = '';
  let position = 0;
  for (const record of batchRecords(rows, 1)) {
    builder.addRecord({ record_id: `run:${position}`, position, record }, (line) => {
      pending += line;
      written += 1;
    });
    position += 1;
    if (pending.length >= 64 * 1024) pending = ''; // about one COPY chunk (BRONZE_CHUNK_CHARS)
  }
  const seconds = (performance.now() - started) / 1000;
  // The heap after a full GC while the stream (and its checks' key set) is still in use: what a call keeps.
  (globalThis as { gc?: () => void }).gc?.();
  const heap = process.memoryUsage().heapUsed / MiB;
  // When a key may repeat past the bound a bronze call counts duplicates in the loaded table; with no table here, none are counted.
  const overflowed = builder.needsTableDuplicateCount();
  if (overflowed) builder.setDuplicateKeys({ count: 0, samples: [] });
  const failed = builder.checkResults().filter((check) => !check.passed && check.severity === 'error');
  console.log(
    `${entity_id}: ${written} rows in ${seconds.toFixed(1)} s (${Math.round(written / seconds)} rows/s); heap after GC ${heap.toFixed(0)} MiB, ` +
      `process peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; failed checks: ${failed.length === 0 ? 'none' : failed.map((check) => check.check).join(', ')}` +
      (overflowed ? ' (a key may repeat past the in-memory bound: duplicates not counted)' : ''),
  );
}

const rows = Number(process.argv[2] ?? 1_000_000);
console.log(`${rows} generated customers; RSS at start ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`);
for (const entity_id of BENCH_ENTITIES) await measure(rows, entity_id);
