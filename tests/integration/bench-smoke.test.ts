/**
 * A small run of `npm run bench` (20,000 customers): the report it writes with `--json` has the documented shape,
 * and every stage processed the rows the generator says it must. The numbers themselves are not asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchReport } from '../../dev/bench/bench-report.ts';
import { expectedStageRows } from '../../dev/bench/bench-records.ts';

const run = promisify(execFile);
const ROWS = 20_000;
// A loaded two-core machine runs FerretDB at a few hundred records a second: minutes, not seconds.
const RUN_TIMEOUT_MS = 25 * 60_000;

describe('npm run bench --rows 20000', () => {
  let dir: string;
  let report: BenchReport;
  let output: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dp-bench-smoke-'));
    const file = join(dir, 'bench.json');
    const done = await run('npx', ['tsx', 'dev/bench/main.ts', '--rows', String(ROWS), '--json', file, '--starts', '1'], {
      timeout: RUN_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    output = done.stdout;
    report = BenchReport.parse(JSON.parse(await readFile(file, 'utf8')));
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the four stages in order, each with the rows it had to process', () => {
    const expected = expectedStageRows(ROWS);
    expect(report.rows).toBe(ROWS);
    expect(report.stages.map((stage) => stage.name)).toEqual(['landing', 'bronze', 'silver_initial', 'silver_delta']);
    for (const stage of report.stages) {
      expect(stage.rows, stage.name).toBe(expected[stage.name as keyof typeof expected]);
      expect(stage.seconds, stage.name).toBeGreaterThan(0);
      expect(stage.peak_rss_mb, stage.name).toBeGreaterThan(0);
    }
  });

  it('compares landing with insertMany, bronze with COPY and silver with the SQL baseline, as time ratios', () => {
    const byName = Object.fromEntries(report.stages.map((stage) => [stage.name, stage]));
    for (const [name, baseline] of [
      ['landing', 'mongo_insert_many'],
      ['bronze', 'postgres_copy'],
      ['silver_initial', 'sql_scd2_insert'],
      ['silver_delta', 'sql_scd2_update_insert'],
    ] as const) {
      const stage = byName[name]!;
      expect(stage.baseline).toBe(baseline);
      expect(stage.baseline_seconds).toBeGreaterThan(0);
      // The report rounds seconds to 3 digits and the ratio to 2: a baseline of 0.013 s moves the ratio by ±4 %.
      const [seconds, baselineSeconds] = [stage.seconds, stage.baseline_seconds!];
      expect(stage.ratio).toBeGreaterThanOrEqual((seconds - 0.0005) / (baselineSeconds + 0.0005) - 0.005);
      expect(stage.ratio).toBeLessThanOrEqual((seconds + 0.0005) / Math.max(baselineSeconds - 0.0005, 1e-9) + 0.005);
    }
  });

  it("compares bronze's landing read with a raw find of the same documents, per pass and with COPY", () => {
    const raw = report as unknown as { bronze_transform_load: Record<string, number | null>; baselines: { name: string; rows: number }[] };
    expect(raw.baselines.filter((baseline) => baseline.name.startsWith('mongo_')).map((baseline) => [baseline.name, baseline.rows])).toEqual([
      ['mongo_find', expectedStageRows(ROWS).landing],
      ['mongo_insert_many', expectedStageRows(ROWS).landing],
    ]);
    expect(raw.bronze_transform_load.landing_read_ratio).toBeGreaterThan(0);
    expect(raw.bronze_transform_load.with_read_ratio).toBeGreaterThan(0);
  });

  it('sizes and cold-starts every function bundle', async () => {
    const functions = [];
    for (const entry of await readdir('functions')) {
      if (await stat(join('functions', entry, 'handler.ts')).then(() => true, () => false)) functions.push(entry);
    }
    expect(report.bundles.map((bundle) => bundle.name).sort()).toEqual(functions.sort());
    for (const bundle of report.bundles) expect(bundle.cold_start_ms, bundle.name).toBeGreaterThan(0);
  });

  it('prints the stage table', () => {
    expect(output).toMatch(/^stage\s+rows\s+seconds\s+rows\/s\s+peak RSS MB\s+baseline\s+baseline s\s+ratio$/m);
  });
});

describe('npm run bench --rows 5000 --source generated --repeat 2 (the path of large N)', () => {
  it('lands batch 1, runs bronze on the generated records and every stage on the expected rows, each silver stage twice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dp-bench-generated-'));
    try {
      const file = join(dir, 'bench.json');
      await run('npx', ['tsx', 'dev/bench/main.ts', '--rows', '5000', '--source', 'generated', '--json', file, '--starts', '1', '--repeat', '2'], {
        timeout: RUN_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
      const raw = JSON.parse(await readFile(file, 'utf8')) as { source?: unknown; preparation?: { name: string }[] };
      const generated = BenchReport.parse(raw);
      const expected = expectedStageRows(5000);
      expect(raw.source).toBe('generated');
      expect(generated.stages.map((stage) => [stage.name, stage.rows])).toEqual(Object.entries(expected));
      expect(raw.preparation?.map((stage) => stage.name)).toEqual(['bronze_batch2']);
      // Each repeat starts from the same state: the run fails unless every repeat's counts are the generator's.
      const repeats = generated.stages.filter((stage) => stage.name.startsWith('silver_')).map((stage) => stage.repeats as { ratios: number[]; ratio_min: number; ratio_max: number });
      expect(repeats.map((repeat) => repeat.ratios.length)).toEqual([2, 2]);
      for (const repeat of repeats) expect(repeat.ratio_min).toBeLessThanOrEqual(repeat.ratio_max);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, RUN_TIMEOUT_MS + 60_000);
});
