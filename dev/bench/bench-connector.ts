/**
 * A source connector for the benchmark: it streams generated records (`bench-records.ts`) instead of reading a
 * source, so landing is measured through the platform's own path (`landSystem`, the landing store, audit rows)
 * without a source's latency. Registered under the bench system's type (`jsonfile`), as a connector function
 * registers its own.
 */
import * as z from 'zod';
import type { Connector, LandingItem } from '../../shared/layers/landing/connector.ts';
import { InvalidPayloadError } from '../../shared/errors.ts';
import { batchRecords } from './bench-records.ts';
import { BENCH_LANDING_ENTITY } from './bench-metadata.ts';

/** The landing request's `options`: which batch to generate and for how many keys. */
export const BenchConnectorOptions = z.strictObject({
  batch: z.union([z.literal(1), z.literal(2)]),
  rows: z.int().positive(),
});
export type BenchConnectorOptions = z.infer<typeof BenchConnectorOptions>;

/** The benchmark connector: one batch of generated customer records, pulled one at a time. */
export function createBenchConnector(): Connector<'jsonfile'> {
  return {
    type: 'jsonfile',
    openBatch(request) {
      const parsed = BenchConnectorOptions.safeParse(request.options);
      if (!parsed.success) return Promise.reject(new InvalidPayloadError(`bench connector options: ${z.prettifyError(parsed.error)}`));
      const { batch, rows } = parsed.data;
      async function* records(): AsyncGenerator<LandingItem> {
        for (const record of batchRecords(rows, batch)) yield { landing_entity: BENCH_LANDING_ENTITY, record };
      }
      return Promise.resolve({
        kind: 'records',
        records: records(),
        nextCursor: () => ({ window_start: request.window.start, window_end: request.window.end, position: `bench-batch-${batch}` }),
        description: `bench batch ${batch} of ${rows} keys`,
      });
    },
  };
}
