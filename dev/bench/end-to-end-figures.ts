/**
 * The end-to-end item of the benchmark: from `faas-cli invoke` of a connector to the last gold row of that batch,
 * and where the time went per layer, read from the batch's audit rows. Pure: the runner (`end-to-end.ts`) reads the
 * rows, this turns them into figures, the report's schema and the printed table.
 */
import * as z from 'zod';
import { LAYERS, type Layer } from '../../shared/core/run-status.ts';
import type { BatchLayerCounts } from '../../shared/runs/audit-queries.ts';
import type { OutboxMessage } from '../../shared/runs/outbox.ts';
import type { EntityLayerRun, SystemRun } from '../../shared/runs/run-types.ts';
import { formatTable } from './bench-report.ts';

/** One layer of one batch. Offsets are seconds after the invoke; a layer's calls run one at a time in OpenFaaS CE. */
export const LayerFigure = z.strictObject({
  /** Runs that did the work (landing: the connector's call; others: one per entity, duplicates left out). */
  calls: z.int().nonnegative(),
  rows_in: z.int().nonnegative(),
  /** When its first run started and its last run finished, after the invoke. */
  start_seconds: z.number().nonnegative(),
  end_seconds: z.number().nonnegative(),
  /** end − start: the layer's span. */
  wall_seconds: z.number().nonnegative(),
  /** Its runs' durations added up: the functions' own work. */
  run_seconds: z.number().nonnegative(),
  /** From handing the layer's first call to the gateway (landing: the invoke) to the start of its run. */
  queue_wait_first_seconds: z.number().nonnegative(),
  /** The longest any of its calls waited, from hand-over to start (with one call at a time, its siblings' runs count). */
  queue_wait_max_seconds: z.number().nonnegative(),
});
export type LayerFigure = z.infer<typeof LayerFigure>;

/** One batch from the invoke to its last gold row. */
export const BatchFigure = z.strictObject({
  /** The source folder the batch landed (`batch-0002`). */
  batch: z.string(),
  batch_id: z.uuid(),
  /** Records landed. */
  rows: z.int().nonnegative(),
  /** From the invoke to the end of the last gold run (its rows commit with it). */
  seconds: z.number().positive(),
  layers: z.strictObject(Object.fromEntries(LAYERS.map((layer) => [layer, LayerFigure])) as Record<Layer, typeof LayerFigure>),
});
export type BatchFigure = z.infer<typeof BatchFigure>;

/** The report's `end_to_end`: the median measured batch at top level, every batch below. */
export const EndToEndFigure = z.strictObject({
  system: z.string(),
  scale: z.int().positive(),
  /** Measured batches (the first batch is not one of them). */
  batches: z.int().positive(),
  /** The median batch (the lower middle one for an even count): its folder, records, seconds and layers. */
  batch: z.string(),
  rows: z.int().nonnegative(),
  seconds: z.number().positive(),
  layers: BatchFigure.shape.layers,
  runs: z.array(BatchFigure),
  /** The first batch: the initial load, on functions that have not been called yet. For information. */
  first_batch: BatchFigure,
});
export type EndToEndFigure = z.infer<typeof EndToEndFigure>;

/** What the audit schema says about one batch, and when it was invoked (the database's clock, as the rows'). */
export interface BatchAudit {
  readonly batch: string;
  readonly batch_id: string;
  readonly invoked_at: Date;
  readonly landings: readonly Pick<SystemRun, 'started_at' | 'finished_at' | 'duplicate_of_run_id'>[];
  readonly entity_runs: readonly Pick<EntityLayerRun, 'layer' | 'call_id' | 'started_at' | 'finished_at' | 'duplicate_of_run_id'>[];
  readonly calls: readonly Pick<OutboxMessage, 'delivered_at' | 'delivered_call_id'>[];
  readonly counts: readonly Pick<BatchLayerCounts, 'layer' | 'records_in'>[];
}

interface TimedRun {
  readonly started_at: Date;
  readonly finished_at: Date;
  /** When its call was handed to the gateway; unknown for a call the outbox did not deliver. */
  readonly handed_over_at: Date | undefined;
}

/** Figures of one batch; fails when a layer has no finished run (the chain did not reach gold). */
export function batchFigure(audit: BatchAudit): BatchFigure {
  const deliveredAt = new Map(audit.calls.flatMap((call) => (call.delivered_call_id && call.delivered_at ? [[call.delivered_call_id, call.delivered_at] as const] : [])));
  const runsOf = (layer: Layer): TimedRun[] => {
    // Landing is the connector's one call (its entity runs are parts of it), invoked by us rather than the outbox.
    if (layer === 'landing') {
      return audit.landings.flatMap((run) =>
        run.duplicate_of_run_id === null && run.finished_at ? [{ started_at: run.started_at, finished_at: run.finished_at, handed_over_at: audit.invoked_at }] : [],
      );
    }
    return audit.entity_runs.flatMap((run) =>
      run.layer === layer && run.duplicate_of_run_id === null && run.finished_at
        ? [{ started_at: run.started_at, finished_at: run.finished_at, handed_over_at: run.call_id === null ? undefined : deliveredAt.get(run.call_id) }]
        : [],
    );
  };
  const after = (instant: Date): number => (instant.getTime() - audit.invoked_at.getTime()) / 1000;
  const layers = Object.fromEntries(
    LAYERS.map((layer) => {
      const runs = runsOf(layer);
      if (runs.length === 0) throw new Error(`end to end: ${audit.batch} (batch ${audit.batch_id}) has no finished ${layer} run`);
      const start = Math.min(...runs.map((run) => run.started_at.getTime()));
      const end = Math.max(...runs.map((run) => run.finished_at.getTime()));
      const waits = runs.flatMap((run) => (run.handed_over_at ? [{ started: run.started_at.getTime(), wait: (run.started_at.getTime() - run.handed_over_at.getTime()) / 1000 }] : []));
      const first = waits.reduce<(typeof waits)[number] | undefined>((earliest, each) => (earliest === undefined || each.started < earliest.started ? each : earliest), undefined);
      const figure: LayerFigure = {
        calls: runs.length,
        rows_in: audit.counts.find((count) => count.layer === layer)?.records_in ?? 0,
        start_seconds: seconds(after(new Date(start))),
        end_seconds: seconds(after(new Date(end))),
        wall_seconds: seconds((end - start) / 1000),
        run_seconds: seconds(runs.reduce((sum, run) => sum + (run.finished_at.getTime() - run.started_at.getTime()) / 1000, 0)),
        queue_wait_first_seconds: seconds(first?.wait ?? 0),
        queue_wait_max_seconds: seconds(Math.max(0, ...waits.map((each) => each.wait))),
      };
      return [layer, figure];
    }),
  ) as Record<Layer, LayerFigure>;
  return { batch: audit.batch, batch_id: audit.batch_id, rows: layers.landing.rows_in, seconds: layers.gold.end_seconds, layers };
}

/** The end-to-end item: the median of the measured batches, each batch, and the first (warm-up) batch. */
export function summariseEndToEnd(input: { system: string; scale: number; first: BatchFigure; measured: readonly BatchFigure[] }): EndToEndFigure {
  const sorted = [...input.measured].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('end to end: no batch was measured');
  return {
    system: input.system,
    scale: input.scale,
    batches: input.measured.length,
    batch: median.batch,
    rows: median.rows,
    seconds: median.seconds,
    layers: median.layers,
    runs: [...input.measured],
    first_batch: input.first,
  };
}

/** The tables printed at the end of a run. */
export function formatEndToEnd(figure: EndToEndFigure): string {
  return [
    `end to end: ${figure.system} at --scale ${figure.scale}, faas-cli invoke of the connector → last gold row; median of ${figure.batches} batch(es)` +
      ` (${figure.batch}): ${figure.seconds} s, ${figure.rows} records landed`,
    formatTable(
      ['layer', 'calls', 'rows in', 'from s', 'to s', 'wall s', 'run s', 'queue wait s, first', 'queue wait s, max'],
      LAYERS.map((layer) => {
        const each = figure.layers[layer];
        return [layer, each.calls, each.rows_in, each.start_seconds, each.end_seconds, each.wall_seconds, each.run_seconds, each.queue_wait_first_seconds, each.queue_wait_max_seconds];
      }),
    ),
    formatTable(
      ['batch', 'records', 'seconds', ''],
      [
        [figure.first_batch.batch, figure.first_batch.rows, figure.first_batch.seconds, 'first batch: initial load, functions not called before; not in the median'],
        ...figure.runs.map((run) => [run.batch, run.rows, run.seconds, ''] as const),
      ],
    ),
  ].join('\n');
}

function seconds(value: number): number {
  return Math.round(value * 1000) / 1000;
}
