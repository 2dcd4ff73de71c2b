/**
 * The benchmark's report: the JSON `--json FILE` writes (its schema is the contract the smoke test reads), the
 * targets of the benchmark issue judged against it, and the tables printed on stdout.
 */
import * as z from 'zod';

/** One measured stage; `ratio` is stage seconds / baseline seconds where a baseline exists. */
export const StageFigure = z.looseObject({
  name: z.string(),
  rows: z.int().nonnegative(),
  seconds: z.number().nonnegative(),
  rows_per_s: z.number().nonnegative(),
  peak_rss_mb: z.number().nonnegative(),
  baseline: z.string().nullable(),
  baseline_seconds: z.number().nonnegative().nullable(),
  ratio: z.number().nonnegative().nullable(),
});
export type StageFigure = z.infer<typeof StageFigure>;

export const BundleFigureSchema = z.looseObject({
  name: z.string(),
  bytes: z.int().positive(),
  cold_start_ms: z.number().nonnegative(),
});

/** A target of the issue and whether this run met it. */
export const TargetVerdict = z.strictObject({
  target: z.string(),
  value: z.number(),
  limit: z.number(),
  met: z.boolean(),
});
export type TargetVerdict = z.infer<typeof TargetVerdict>;

/** The whole report. Extra fields (machine, targets, preparation) are for people; the four stages are the contract. */
export const BenchReport = z.looseObject({
  rows: z.int().positive(),
  stages: z.array(StageFigure),
  bundles: z.array(BundleFigureSchema),
});
export type BenchReport = z.infer<typeof BenchReport>;

/** A stage figure from its measurement and, where it has one, its baseline's. */
export function stageFigure(
  name: string,
  measured: { readonly rows: number; readonly seconds: number; readonly peak_rss_mb: number },
  baseline?: { readonly name: string; readonly seconds: number },
): StageFigure {
  return {
    name,
    rows: measured.rows,
    seconds: round(measured.seconds, 3),
    rows_per_s: Math.round(measured.rows / Math.max(measured.seconds, 1e-9)),
    peak_rss_mb: round(measured.peak_rss_mb, 1),
    baseline: baseline?.name ?? null,
    baseline_seconds: baseline ? round(baseline.seconds, 3) : null,
    ratio: baseline ? round(measured.seconds / Math.max(baseline.seconds, 1e-9), 2) : null,
  };
}

/** The performance issue's targets (docs/benchmark.md), judged on one run; a ratio the run has no baseline for is left out. */
export function judgeTargets(
  stages: readonly StageFigure[],
  bundles: readonly { readonly name: string; readonly cold_start_ms: number }[],
  bronze: { readonly ratio: number | null; readonly with_read_ratio?: number | null; readonly landing_read_ratio?: number | null },
): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  const ratioOf = (name: string): number | null => stages.find((stage) => stage.name === name)?.ratio ?? null;
  const add = (target: string, value: number | null | undefined, limit: number): void => {
    if (value !== null && value !== undefined) verdicts.push({ target, value, limit, met: value <= limit });
  };
  // A rate of "≥ 0.7× the baseline's" is a time of "≤ 1/0.7 ≈ 1.43× the baseline's".
  add('landing time / raw insertMany time (≤ 1.43, i.e. ≥ 0.7× its rate)', ratioOf('landing'), 1.43);
  add("bronze's landing read / raw find (≤ 1.43, i.e. ≥ 0.7× its rate)", bronze.landing_read_ratio, 1.43);
  add('bronze transform+load time / COPY time', bronze.ratio, 1.3);
  add('bronze time incl. its landing read / (COPY + raw find) time', bronze.with_read_ratio, 1.5);
  add('silver_initial time / SQL baseline time', ratioOf('silver_initial'), 1.2);
  add('silver_delta time / SQL baseline time', ratioOf('silver_delta'), 1.3);
  for (const stage of stages) add(`${stage.name} peak RSS (MB)`, stage.peak_rss_mb, 300);
  for (const bundle of bundles) add(`${bundle.name} cold start (ms)`, bundle.cold_start_ms, 150);
  return verdicts;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Renders rows as an aligned text table (numbers right-aligned). */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? '–' : String(cell))));
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]?.length ?? 0)));
  const numeric = header.map((_title, column) => rows.every((row) => row[column] === null || typeof row[column] === 'number'));
  const line = (row: readonly string[]): string =>
    row.map((cell, column) => (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/** The stage table printed at the end of a run. */
export function formatStages(stages: readonly StageFigure[]): string {
  return formatTable(
    ['stage', 'rows', 'seconds', 'rows/s', 'peak RSS MB', 'baseline', 'baseline s', 'ratio'],
    stages.map((stage) => [stage.name, stage.rows, stage.seconds, stage.rows_per_s, stage.peak_rss_mb, stage.baseline, stage.baseline_seconds, stage.ratio]),
  );
}

/** The bundle table printed at the end of a run. */
export function formatBundles(
  bundles: readonly { readonly name: string; readonly bytes: number; readonly cold_start_ms: number; readonly cold_start_cpu_ms: number }[],
): string {
  return formatTable(
    ['function', 'bytes', 'KiB', 'cold start ms', 'CPU ms'],
    bundles.map((bundle) => [bundle.name, bundle.bytes, Math.round(bundle.bytes / 102.4) / 10, bundle.cold_start_ms, bundle.cold_start_cpu_ms]),
  );
}

/** The verdicts printed at the end of a run. */
export function formatTargets(verdicts: readonly TargetVerdict[]): string {
  return formatTable(
    ['target', 'value', 'limit', 'met'],
    verdicts.map((verdict) => [verdict.target, verdict.value, verdict.limit, verdict.met ? 'yes' : 'NO']),
  );
}
