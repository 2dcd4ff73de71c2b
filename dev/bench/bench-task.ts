/**
 * What the orchestrator asks a stage process to do, and what it answers. Each task runs in a process of its own
 * (`stage-worker.ts`), so the peak RSS it reports is that task's alone.
 */
import * as z from 'zod';

/** Where a task works: the run's own PostgreSQL database and landing database. */
const Target = {
  database_url: z.string().min(1),
  mongodb_url: z.string().min(1),
  landing_database: z.string().min(1),
};

const Batch = {
  batch_id: z.uuid(),
  /** ISO instant; batch 2 is later than batch 1. */
  batch_timestamp: z.iso.datetime({ offset: true }),
};

/** One task of a benchmark run. */
export const BenchTask = z.discriminatedUnion('kind', [
  /** Land batch `batch` of `rows` keys through `landSystem` with the bench connector. */
  z.strictObject({ kind: z.literal('landing'), ...Target, ...Batch, batch: z.union([z.literal(1), z.literal(2)]), rows: z.int().positive() }),
  /**
   * Run bronze (`processEntityBatch`) for every bench entity of the batch. `source: generated` makes bronze read
   * the batch's generated records in-process instead of from the landing store (`--source generated`).
   */
  z.strictObject({
    kind: z.literal('bronze'),
    ...Target,
    ...Batch,
    batch: z.union([z.literal(1), z.literal(2)]),
    rows: z.int().positive(),
    source: z.enum(['landing', 'generated']),
  }),
  /** Run silver (`processSilverBatch`) for every bench entity of the batch; `force` for a repeat (`--repeat`). */
  z.strictObject({ kind: z.literal('silver'), ...Target, ...Batch, force: z.boolean().optional() }),
  /** Baseline for bronze: COPY the batch's bronze rows, exported to `scratch_dir` first, into copies of the tables. */
  z.strictObject({ kind: z.literal('baseline_copy'), ...Target, ...Batch, scratch_dir: z.string().min(1) }),
  /**
   * Baselines for landing and bronze's landing read: a raw `find` of the documents landing wrote for the batch, and
   * `insertMany` of the same documents into an empty collection of the same store, in landing's chunk size.
   */
  z.strictObject({ kind: z.literal('baseline_landing'), ...Target, ...Batch }),
  /** Baseline for silver: the hand-written SCD2 statements over the batch's bronze rows. */
  z.strictObject({ kind: z.literal('baseline_silver'), ...Target, ...Batch, phase: z.enum(['initial', 'delta']) }),
]);
export type BenchTask = z.infer<typeof BenchTask>;
export type BenchTaskKind = BenchTask['kind'];

/** What a task reports: rows processed, seconds of work (process start and connection set-up excluded), details. */
export const TaskResult = z.strictObject({
  rows: z.int().nonnegative(),
  seconds: z.number().nonnegative(),
  /** `process.resourceUsage().maxRSS` at the end of the task, in MiB. */
  peak_rss_mb: z.number().nonnegative(),
  /** Per-entity counts and timings, as the task saw them. */
  details: z.record(z.string(), z.json()),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** A task's work before the worker adds its memory figure. */
export type TaskWork = Omit<TaskResult, 'peak_rss_mb'>;
