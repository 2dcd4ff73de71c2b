/**
 * `npm run bench -- [--rows N] [--json FILE] [--source landing|generated [--skip-landing]] [--starts K] [--repeat K] [--e2e [--e2e-scale S] [--e2e-batches B]] [--profile DIR] [--keep] [--verbose]`: throughput and memory of every layer on the local
 * services, against PostgreSQL's own limits (docs/benchmark.md). N customers (default 1,000,000) are generated,
 * landed, loaded to bronze and historised in silver twice (an initial load, then a batch with changed, absent and
 * new keys); COPY and hand-written SCD2 SQL over the same rows are the baselines. Each stage runs in a process of
 * its own, so its peak RSS is its own. Then every function is bundled and cold-started. With `--e2e`, first the
 * path a user sees: TST01 batches from `faas-cli invoke` to their last gold row, on the stack (end-to-end.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { checkBaselineAgrees, checkRows, checkSilverCounts } from './bench-checks.ts';
import { expectedCounts } from './bench-records.ts';
import { BENCH_ENTITIES } from './bench-metadata.ts';
import {
  formatBundles,
  formatStages,
  formatTable,
  formatTargets,
  judgeTargets,
  stageFigure,
  type BenchReport,
  type StageFigure,
} from './bench-report.ts';
import { createBenchRun, recordGeneratedLanding, type RunBatch } from './bench-run.ts';
import type { BenchTask, TaskResult } from './bench-task.ts';
import { measureBundles, type BundleMeasurement } from './cold-start.ts';
import { median, restoreSilver, settleTables, snapshotSilver } from './bench-repeat.ts';
import { measureEndToEnd } from './end-to-end.ts';
import { formatEndToEnd } from './end-to-end-figures.ts';
import { machineFacts, startLoadSampler } from './machine.ts';
import { bundleWorker, runTask } from './run-task.ts';

const Args = z.strictObject({
  rows: z.coerce.number().int().positive().default(1_000_000),
  json: z.string().min(1).optional(),
  verbose: z.boolean().default(false),
  /** Keep the run's databases (to look at plans and tables afterwards); they are named on stderr. */
  keep: z.boolean().default(false),
  /**
   * `landing` (default): land through FerretDB and let bronze read it back. `generated`: bronze reads the generated
   * records in-process, and batch 2 is not landed (for large N: FerretDB v1 reads about 900 records/s).
   */
  source: z.enum(['landing', 'generated']).default('landing'),
  /** With `--source generated`: land nothing, not even batch 1 (no landing stage; a landing figure at this N exists). */
  skipLanding: z.boolean().default(false),
  /** Write a V8 CPU profile of every stage process into this folder (open in Chrome DevTools or speedscope). */
  profile: z.string().optional(),
  /** Cold starts per function (the median is reported); 0 measures no bundles (a rerun of the data stages only). */
  starts: z.coerce.number().int().nonnegative().default(3),
  /** How often each silver stage and its baseline are measured, from the same state each time (median and spread). */
  repeat: z.coerce.number().int().positive().default(1),
  /** Also measure TST01 from `faas-cli invoke` to its last gold row on the OpenFaaS stack (deploys a namespace of its own). */
  e2e: z.boolean().default(false),
  /** TST01's generator scale for `--e2e`. */
  e2eScale: z.coerce.number().int().positive().default(100),
  /** Batches `--e2e` measures after the first (the median is reported). */
  e2eBatches: z.coerce.number().int().positive().default(3),
});
type Args = z.infer<typeof Args>;

function parseCommandLine(argv: readonly string[]): Args {
  const { values } = parseArgs({
    args: [...argv],
    options: { rows: { type: 'string' }, json: { type: 'string' }, verbose: { type: 'boolean' }, keep: { type: 'boolean' }, starts: { type: 'string' }, repeat: { type: 'string' }, source: { type: 'string' }, profile: { type: 'string' }, 'skip-landing': { type: 'boolean' }, e2e: { type: 'boolean' }, 'e2e-scale': { type: 'string' }, 'e2e-batches': { type: 'string' } },
    strict: true,
  });
  const parsed = Args.refine((args) => !args.skipLanding || args.source === 'generated', {
    message: '--skip-landing needs --source generated (bronze has nothing else to read)',
  }).safeParse((({ 'skip-landing': skipLanding, 'e2e-scale': e2eScale, 'e2e-batches': e2eBatches, ...rest }) => ({ ...rest, skipLanding, e2eScale, e2eBatches }))(values));
  if (!parsed.success) throw new Error(`bench: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function log(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function main(args: Args): Promise<void> {
  const expected = expectedCounts(args.rows);
  const load = startLoadSampler();
  // First: when the stack is not up, the run fails before the stages, not after them.
  const endToEnd = args.e2e ? await measureEndToEnd({ scale: args.e2eScale, batches: args.e2eBatches, log }) : undefined;
  const abort = new AbortController();
  const run = await createBenchRun();
  const stop = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping, dropping ${run.databaseName} and ${run.landing_database}`);
    abort.abort();
    void run.drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const [batch1, batch2] = run.batches;
  try {
    log(`${args.rows} rows; PostgreSQL database ${run.databaseName}, landing database ${run.landing_database}`);
    const worker = await bundleWorker(run.scratchDir);
    // Generous: a loaded machine may be far slower than the targets assume; a stuck task must still end.
    const timeoutMs = (600 + args.rows / 200) * 1000;
    const task = async (description: string, work: BenchTask): Promise<TaskResult> => {
      log(`${description}…`);
      const result = await runTask(worker, work, {
        timeoutMs,
        verbose: args.verbose,
        scratchDir: run.scratchDir,
        signal: abort.signal,
        nodeArgs: args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(args.profile)}`],
      });
      log(`${description}: ${result.rows} rows in ${result.seconds.toFixed(2)} s, peak RSS ${result.peak_rss_mb.toFixed(0)} MB`);
      return result;
    };
    const target = { database_url: run.database_url, mongodb_url: run.mongodb_url, landing_database: run.landing_database };
    const on = (batch: RunBatch) => ({ ...target, batch_id: batch.batch_id, batch_timestamp: batch.batch_timestamp });

    const land = async (batch: RunBatch, description: string): Promise<TaskResult | undefined> => {
      // generated: batch 1 is still landed and measured (landing's figures at this N); bronze reads generated records
      if (args.source === 'generated' && (batch.batch === 2 || args.skipLanding)) {
        await recordGeneratedLanding(run, batch);
        return undefined;
      }
      const landed = await task(description, { kind: 'landing', ...on(batch), batch: batch.batch, rows: args.rows });
      const wanted = batch.batch === 1 ? expected.landing.batch1 : expected.landing.batch2;
      if (landed.rows !== wanted) throw new Error(`landing wrote ${landed.rows} records, expected ${wanted}`);
      return landed;
    };
    const bronzeOf = (batch: RunBatch): BenchTask => ({ kind: 'bronze', ...on(batch), batch: batch.batch, rows: args.rows, source: args.source });

    const landing = await land(batch1, 'landing batch 1');
    // The store's own limits on the documents just landed (absent when bronze reads generated records only).
    const rawLanding = landing ? await task('baseline: raw find and insertMany of batch 1 landed documents', { kind: 'baseline_landing', ...on(batch1) }) : undefined;
    if (rawLanding && rawLanding.rows !== landing?.rows) throw new Error(`baseline read ${rawLanding.rows} landed documents, landing wrote ${landing?.rows}`);
    const rawSeconds = (what: 'find_seconds' | 'insert_many_seconds'): number | undefined => (rawLanding ? Number(rawLanding.details[what]) : undefined);
    const bronze = await task(`bronze batch 1 (reading ${args.source === 'landing' ? 'the landing store' : 'generated records'})`, bronzeOf(batch1));
    checkRows('bronze', bronze, { bench_customer: expected.bronze.batch1.customers, bench_customer_order: expected.bronze.batch1.orders });
    const copy = await task('baseline: COPY of batch 1 bronze rows', { kind: 'baseline_copy', ...on(batch1), scratch_dir: run.scratchDir });
    checkRows('baseline COPY', copy, { bench_customer: expected.bronze.batch1.customers, bench_customer_order: expected.bronze.batch1.orders });

    /**
     * A silver stage and its baseline, `--repeat` times from the state before it (bench-repeat.ts), the tables
     * vacuumed and analysed before each repeat (untimed), each pair checked: the engine's counts are the
     * generator's, the baseline's tables agree with the engine's.
     */
    const measureSilver = async (stage: 'silver_initial' | 'silver_delta', batch: RunBatch, description: string, wanted: Parameters<typeof checkSilverCounts>[2]): Promise<SilverRepeats> => {
      if (args.repeat > 1) await snapshotSilver(run.pool);
      const repeats: SilverRepeats = [];
      for (let repeat = 0; repeat < args.repeat; repeat += 1) {
        if (repeat > 0) await restoreSilver(run.pool, batch.batch_id);
        await settleTables(run.pool);
        const of = args.repeat > 1 ? ` [${repeat + 1}/${args.repeat}]` : '';
        const engine = await task(`silver ${description}${of}`, { kind: 'silver', ...on(batch), force: repeat > 0 });
        checkSilverCounts(stage, engine, wanted);
        const baseline = await task(`baseline: SCD2 SQL on batch ${batch.batch}${of}`, { kind: 'baseline_silver', ...on(batch), phase: stage === 'silver_initial' ? 'initial' : 'delta' });
        await checkBaselineAgrees(run.pool, stage);
        repeats.push({ engine, baseline });
      }
      return repeats;
    };
    const silverInitial = await measureSilver('silver_initial', batch1, 'batch 1 (initial load)', { bench_customer: expected.silverInitial.customers, bench_customer_order: expected.silverInitial.orders });

    const landing2 = await land(batch2, 'landing batch 2 (preparation)');
    const bronze2 = await task('bronze batch 2 (preparation)', bronzeOf(batch2));
    checkRows('bronze batch 2', bronze2, { bench_customer: expected.bronze.batch2.customers, bench_customer_order: expected.bronze.batch2.orders });
    const silverDelta = await measureSilver('silver_delta', batch2, 'batch 2 (10% changed, 1% absent, 5% new)', { bench_customer: expected.silverDelta.customers, bench_customer_order: expected.silverDelta.orders });

    const stages: StageFigure[] = [
      ...(landing ? [stageFigure('landing', landing, { name: 'mongo_insert_many', seconds: rawSeconds('insert_many_seconds') ?? 0 })] : []),
      stageFigure('bronze', bronze, { name: 'postgres_copy', seconds: copy.seconds }),
      repeatedStageFigure('silver_initial', silverInitial, 'sql_scd2_insert'),
      repeatedStageFigure('silver_delta', silverDelta, 'sql_scd2_update_insert'),
    ];
    const readSeconds = Number(bronze.details.read_seconds ?? 0);
    const transformSeconds = Math.max(bronze.seconds - readSeconds, 0);
    const bronzeTransformLoad = {
      mongo_read_seconds: Math.round(readSeconds * 1000) / 1000,
      seconds: Math.round(transformSeconds * 1000) / 1000,
      rows_per_s: Math.round(bronze.rows / Math.max(transformSeconds, 1e-9)),
      ratio: Math.round((transformSeconds / copy.seconds) * 100) / 100,
      copy_rows_per_s: Math.round(copy.rows / copy.seconds),
      ...landingReadFigures(bronze, readSeconds, copy.seconds, args.source === 'landing' ? rawSeconds('find_seconds') : undefined),
    };
    const preparation = [...(landing2 ? [stageFigure('landing_batch2', landing2)] : []), stageFigure('bronze_batch2', bronze2)];
    const baselines = [
      ...(rawLanding ? [stageFigure('mongo_find', { ...rawLanding, seconds: rawSeconds('find_seconds') ?? 0 }), stageFigure('mongo_insert_many', { ...rawLanding, seconds: rawSeconds('insert_many_seconds') ?? 0 })] : []),
      stageFigure('postgres_copy', copy),
      stageFigure('sql_scd2_insert', medianRun(silverInitial, 'baseline')),
      stageFigure('sql_scd2_update_insert', medianRun(silverDelta, 'baseline')),
    ];

    const { bundles, bare_node } = args.starts === 0 ? { bundles: [], bare_node: null } : await bundlesAndColdStarts(args.starts);
    const targets = judgeTargets(stages, bundles, bronzeTransformLoad);
    const report: BenchReport = {
      rows: args.rows,
      source: args.source,
      finished_at: new Date().toISOString(),
      machine: machineFacts(run.postgresVersion, load.stop()),
      stages,
      bronze_transform_load: bronzeTransformLoad,
      preparation,
      baselines,
      details: { landing: landing?.details ?? null, raw_landing: rawLanding?.details ?? null, bronze: bronze.details, copy: copy.details, silver_initial: medianRun(silverInitial, 'engine').details, sql_initial: medianRun(silverInitial, 'baseline').details, silver_delta: medianRun(silverDelta, 'engine').details, sql_delta: medianRun(silverDelta, 'baseline').details },
      bundles,
      bare_node_cold_start: bare_node,
      targets,
      ...(endToEnd ? { end_to_end: endToEnd } : {}),
    };
    printReport(report, stages, preparation, baselines, bronzeTransformLoad, bundles, targets);
    if (endToEnd) console.log(`\n${formatEndToEnd(endToEnd)}`);
    if (args.json) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (args.keep) {
      await run.close();
      log(`kept ${run.databaseName} and ${run.landing_database}; drop them when done`);
    } else {
      await run.drop();
    }
  }
}

/** Every function bundled, sized and cold-started `starts` times (cold-start.ts). */
async function bundlesAndColdStarts(starts: number): Promise<BundleMeasurement> {
  log('bundling the functions and timing their cold starts…');
  const bundleDir = await mkdtemp(join(tmpdir(), 'dp-bench-bundles-'));
  try {
    return await measureBundles(bundleDir, starts);
  } finally {
    await rm(bundleDir, { recursive: true, force: true });
  }
}

/** The engine's and the baseline's measurement of each repeat of a silver stage. */
type SilverRepeats = { readonly engine: TaskResult; readonly baseline: TaskResult }[];

/** The repeat whose engine time / baseline time is the median one (the lower middle for an even count). */
function medianRun(repeats: SilverRepeats, which: 'engine' | 'baseline'): TaskResult {
  const ratioOf = (repeat: SilverRepeats[number]): number => repeat.engine.seconds / Math.max(repeat.baseline.seconds, 1e-9);
  const sorted = [...repeats].sort((a, b) => ratioOf(a) - ratioOf(b));
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('a silver stage was measured no time');
  return middle[which];
}

/**
 * A silver stage's figure: seconds and baseline seconds are the medians over the repeats, `ratio` the median of
 * the repeats' own ratios (engine and baseline of one repeat ran on the same state, minutes apart at most), and
 * `repeats` every repeat's figures with the ratios' spread.
 */
function repeatedStageFigure(name: string, repeats: SilverRepeats, baseline: string): StageFigure {
  const seconds = repeats.map((repeat) => repeat.engine.seconds);
  const baselineSeconds = repeats.map((repeat) => repeat.baseline.seconds);
  const ratios = repeats.map((repeat) => Math.round((repeat.engine.seconds / Math.max(repeat.baseline.seconds, 1e-9)) * 100) / 100);
  const engine = medianRun(repeats, 'engine');
  const figure = stageFigure(name, { ...engine, seconds: median(seconds) }, { name: baseline, seconds: median(baselineSeconds) });
  return {
    ...figure,
    ratio: median(ratios),
    repeats: { seconds, baseline_seconds: baselineSeconds, ratios, ratio_min: Math.min(...ratios), ratio_max: Math.max(...ratios) },
  };
}

/**
 * Bronze's landing read against the raw `find` of the same documents: bronze reads the landed batch once per bench
 * entity, so its read time per pass is compared with one `find`; and bronze with its reads against COPY plus as many
 * raw finds. Null without a raw find (bronze read generated records).
 */
function landingReadFigures(
  bronze: TaskResult,
  readSeconds: number,
  copySeconds: number,
  findSeconds: number | undefined,
): { landing_read_ratio: number | null; with_read_ratio: number | null } {
  if (findSeconds === undefined || findSeconds <= 0) return { landing_read_ratio: null, with_read_ratio: null };
  const passes = BENCH_ENTITIES.length;
  return {
    landing_read_ratio: Math.round((readSeconds / passes / findSeconds) * 100) / 100,
    with_read_ratio: Math.round((bronze.seconds / (copySeconds + passes * findSeconds)) * 100) / 100,
  };
}

/** Each repeated silver stage's ratios, with their median and spread (none when measured once). */
function silverRepeatLines(stages: readonly StageFigure[]): string[] {
  const lines = stages.flatMap((stage) => {
    const repeats = stage.repeats as { ratios: number[]; ratio_min: number; ratio_max: number } | undefined;
    if (!repeats || repeats.ratios.length < 2) return [];
    return [`${stage.name}: ratios ${repeats.ratios.join(', ')}; median ${String(stage.ratio)}, spread ${repeats.ratio_min}–${repeats.ratio_max}`];
  });
  return lines.length === 0 ? [] : ['silver stages, repeated from the same state:', ...lines, ''];
}

function printReport(
  report: BenchReport,
  stages: readonly StageFigure[],
  preparation: readonly StageFigure[],
  baselines: readonly StageFigure[],
  transform: { mongo_read_seconds: number; seconds: number; rows_per_s: number; ratio: number; landing_read_ratio: number | null },
  bundles: Parameters<typeof formatBundles>[0],
  targets: Parameters<typeof formatTargets>[0],
): void {
  const machine = report.machine as ReturnType<typeof machineFacts>;
  const out: string[] = [
    `N = ${report.rows} (source: ${String(report.source)}); ${machine.nproc} cores (${machine.cpu_model}), ${machine.memory_mb} MB; load average ${machine.load_average.start} at start, mean ${machine.load_average.mean}, max ${machine.load_average.max}`,
    '',
    formatStages(stages),
    '',
    formatTable(
      ['bronze, split', 'seconds', 'rows/s', 'ratio to baseline'],
      [
        [
          report.source === 'generated' ? 'reading the generated records' : `reading landing (MongoDB), ${BENCH_ENTITIES.length} passes; baseline: raw find per pass`,
          transform.mongo_read_seconds,
          null,
          transform.landing_read_ratio,
        ],
        ['transform + load; baseline: COPY', transform.seconds, transform.rows_per_s, transform.ratio],
      ],
    ),
    '',
    'baselines and preparation (batch 2 landed and loaded to bronze before silver_delta):',
    formatStages([...baselines, ...preparation]),
    '',
    ...silverRepeatLines(stages),
    ...(bundles.length === 0
      ? []
      : [
          formatBundles(bundles),
          `(a bare node:http server: ${String((report.bare_node_cold_start as { cold_start_ms: number }).cold_start_ms)} ms wall, ${String((report.bare_node_cold_start as { cold_start_cpu_ms: number }).cold_start_cpu_ms)} ms CPU)`,
          '',
        ]),
    formatTargets(targets),
  ];
  console.log(out.join('\n'));
}

main(parseCommandLine(process.argv.slice(2))).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
