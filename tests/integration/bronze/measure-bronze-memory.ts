/**
 * Measures one bronze call on a large batch, for docs/bronze.md: time and peak RSS of the process while
 * `processEntityBatch` streams N TST01 customers (as_is, unique keys: the checks' key set is the one thing that
 * grows) into bronze. Source `landing` reads them from FerretDB (landed first, not measured); source `memory`
 * makes the same records in the process (a landed batch of one record, re-numbered), to measure bronze alone.
 *
 *   node --expose-gc --import tsx tests/integration/bronze/measure-bronze-memory.ts [records=200000] [landing|memory]
 */
import type { LandedRecord, LandingStore } from '../../../shared/adapters/mongo/landing-store.ts';
import { createBronzeTestEnv } from './bronze-test-env.ts';
import { customer } from './tst01-records.ts';

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 200_000);
  const source = process.argv[3] ?? 'landing';
  const entity = 'test_customer';
  const env = await createBronzeTestEnv('bronze_measure');
  try {
    const started = Date.now();
    const customers = (function* () {
      for (let i = 0; i < records; i += 1) yield customer(`c-${i}`);
    })();
    const landed = await env.land('TST01', { customers: source === 'landing' ? (customers as unknown as never[]) : [customer('c-0')] });
    console.log(`landed ${source === 'landing' ? records : 1} customers in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const inMemory: Pick<LandingStore, 'readRun'> = {
      async *readRun(): AsyncGenerator<LandedRecord> {
        let position = 0;
        for (const record of customers) {
          yield { record_id: `${landed.landing_run_id}:${position}`, position, record };
          position += 1;
        }
      },
    };

    // the full-load guard and row-count bounds are not what this measures
    const metadata = env.withEntities((each) => (each.id === entity ? { ...each, quality: { ...each.quality, row_count: undefined, full_load_guard: false } } : each));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const loadStarted = Date.now();
    const outcome = await env.process(landed, entity, { metadata, timeoutSeconds: 3600, ...(source === 'memory' ? { landing: inMemory } : {}) });
    const seconds = (Date.now() - loadStarted) / 1000;
    clearInterval(sampler);
    console.log(JSON.stringify({ status: outcome.status, counts: (outcome as { counts?: unknown }).counts }));
    console.log(`bronze ${entity} from ${source}: ${seconds.toFixed(1)} s (${Math.round(records / seconds)} records/s), RSS ${(baseline / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB`);
  } finally {
    await env.close();
  }
}

await main();
