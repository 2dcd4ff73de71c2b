/**
 * `npm run bench -- --e2e` on the real stack, small (1,000 bench rows, TST01 at scale 2, two measured batches): the
 * report carries `end_to_end` with every layer of every batch, the batches are the ones the generator made, and the
 * namespace the bench deployed into is gone afterwards. The figures themselves are not asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchReport } from '../../dev/bench/bench-report.ts';
import { EndToEndFigure } from '../../dev/bench/end-to-end-figures.ts';
import { models } from '../../metadata/models/index.ts';
import { LAYERS } from '../../shared/core/run-status.ts';
import { generateTestData } from '../../shared/layers/landing/jsonfile/generator/generate-test-data.ts';
import { TST01_ENTITIES } from '../../shared/layers/landing/jsonfile/generator/tst01-entities.ts';
import { authHeader, GATEWAY_URL } from './stack-harness.ts';

const run = promisify(execFile);
const SCALE = 2;
// Bundling and deploying every function, three batches, then the bench's own stages at 1,000 rows: minutes on a busy machine.
const RUN_TIMEOUT_MS = 20 * 60_000;

async function namespaces(): Promise<string[]> {
  const answer = await fetch(`${GATEWAY_URL}/system/namespaces`, { headers: authHeader() });
  return (await answer.json()) as string[];
}

describe('npm run bench --e2e', () => {
  let dir: string;
  let figure: EndToEndFigure;
  let output: string;
  let progress: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dp-bench-e2e-'));
    const file = join(dir, 'bench.json');
    const done = await run(
      'npx',
      ['tsx', 'dev/bench/main.ts', '--rows', '1000', '--starts', '1', '--e2e', '--e2e-scale', String(SCALE), '--e2e-batches', '2', '--json', file],
      { timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    );
    output = done.stdout;
    progress = done.stderr;
    const raw = JSON.parse(await readFile(file, 'utf8')) as { end_to_end?: unknown };
    BenchReport.parse(raw);
    figure = EndToEndFigure.parse(raw.end_to_end);
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures the first batch apart and the next ones, each with the records the generator wrote for it', async () => {
    const generated = await generateTestData({ seed: 1, batches: 3, scale: SCALE, out: join(dir, 'tst01'), models });
    const records = Object.fromEntries(generated.map((batch) => [batch.label, Object.values(batch.records).reduce((sum, count) => sum + count, 0)]));
    expect(figure).toMatchObject({ system: 'TST01', scale: SCALE, batches: 2 });
    expect([figure.first_batch, ...figure.runs].map((batch) => [batch.batch, batch.rows])).toEqual([
      ['batch-0001', records['batch-0001']],
      ['batch-0002', records['batch-0002']],
      ['batch-0003', records['batch-0003']],
    ]);
    // The top level is the median batch: with two, the faster.
    const faster = [...figure.runs].sort((a, b) => a.seconds - b.seconds)[0]!;
    expect([figure.batch, figure.seconds, figure.rows, figure.layers]).toEqual([faster.batch, faster.seconds, faster.rows, faster.layers]);
  });

  it('times every layer of every batch in the order data flows, up to the last gold run', () => {
    for (const batch of [figure.first_batch, ...figure.runs]) {
      expect(batch.layers.landing.calls, batch.batch).toBe(1);
      expect(batch.layers.bronze.calls, batch.batch).toBe(TST01_ENTITIES.length);
      expect(batch.layers.silver.calls, batch.batch).toBe(TST01_ENTITIES.length);
      expect(batch.layers.gold.calls, batch.batch).toBeGreaterThanOrEqual(1);
      expect(batch.layers.bronze.rows_in, batch.batch).toBeGreaterThan(0);
      // Landing announces bronze in the transaction that ends it; gold is announced by silver runs.
      expect(batch.layers.bronze.start_seconds, batch.batch).toBeGreaterThanOrEqual(batch.layers.landing.end_seconds);
      expect(batch.layers.silver.start_seconds, batch.batch).toBeGreaterThan(batch.layers.bronze.start_seconds);
      expect(batch.layers.gold.start_seconds, batch.batch).toBeGreaterThan(batch.layers.silver.start_seconds);
      expect(batch.seconds, batch.batch).toBe(batch.layers.gold.end_seconds);
      for (const layer of LAYERS) {
        const each = batch.layers[layer];
        expect(each.end_seconds, `${batch.batch} ${layer}`).toBeLessThanOrEqual(batch.seconds);
        expect(each.run_seconds, `${batch.batch} ${layer}`).toBeGreaterThan(0);
        expect(each.queue_wait_max_seconds, `${batch.batch} ${layer}`).toBeGreaterThanOrEqual(each.queue_wait_first_seconds);
      }
    }
  });

  it('prints the end-to-end tables', () => {
    expect(output).toMatch(/^end to end: TST01 at --scale 2, faas-cli invoke of the connector → last gold row; median of 2 batch\(es\)/m);
    expect(output).toMatch(/^gold\s+\d+\s+\d+/m);
    expect(output).toMatch(/^batch-0001\s+\d+\s+[\d.]+\s+first batch/m);
  });

  it('removes the namespace it deployed into', async () => {
    const deployed = /deployed into namespace (bench-e2e-[0-9a-f]+)/.exec(progress)?.[1];
    expect(deployed).toBeDefined();
    expect(await namespaces()).not.toContain(deployed);
  });
});
