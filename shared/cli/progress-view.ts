/**
 * How following a batch looks: progress bars per layer on a terminal (cli-progress), a line per change of a layer
 * elsewhere (a pipe, a log file, a test), so output read by scripts stays stable and short.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { BatchLayerCounts } from '../runs/audit-queries.ts';
import type { BatchWork } from '../runs/session-progress.ts';

/** Where a followed batch stands. */
export interface BatchProgress {
  /** One row per layer run of the batch (countsPerBatch). */
  readonly counts: readonly BatchLayerCounts[];
  readonly work: BatchWork;
}

export interface ProgressView {
  update(progress: BatchProgress): void;
  /** Ends the display (bars are left on screen as they stand). */
  stop(): void;
}

const LAYERS = ['landing', 'bronze', 'silver', 'gold'] as const;

/**
 * The batch's layers as they stand; before any layer is open, its landing alone (a landing still running, or one that
 * ended without opening layers).
 */
function layerRows(counts: readonly BatchLayerCounts[]): Array<{ layer: string; row: BatchLayerCounts; landingOnly?: boolean }> {
  const opened = LAYERS.flatMap((layer) => {
    const row = counts.find((each) => each.layer === layer);
    return row ? [{ layer, row }] : [];
  });
  const landingOnly = counts.find((each) => each.layer === null);
  if (opened.length > 0 || !landingOnly) return opened;
  const finished = landingOnly.landing_status === 'running' ? 0 : 1;
  return [{
    layer: 'landing',
    landingOnly: true,
    row: {
      ...landingOnly,
      layer_status: landingOnly.landing_status,
      entities_expected: 1,
      entities_succeeded: landingOnly.landing_status === 'succeeded' ? finished : 0,
      entities_failed: landingOnly.landing_status === 'failed' ? finished : 0,
      entities_skipped: landingOnly.landing_status === 'skipped' ? finished : 0,
    },
  }];
}

/** Bars for a terminal: one per layer as it opens, entities finished of expected, and the layer's status. */
export function barsView(stream: NodeJS.WriteStream): ProgressView {
  const bars = new MultiBar(
    {
      stream,
      format: ' {layer} {bar} {value}/{total} entities  {status}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const byLayer = new Map<string, SingleBar>();
  const queue = bars.create(1, 0, { layer: 'calls  ', status: 'waiting for the gateway' }, { format: ' {layer} {status}' });
  return {
    update({ counts, work }) {
      const started = counts.length > 0;
      queue.update(started ? 1 : 0, { status: started ? `${work.waiting} call(s) waiting, ${work.running} running` : 'waiting for the gateway' });
      for (const { layer, row, landingOnly } of layerRows(counts)) {
        const finished = row.entities_succeeded + row.entities_failed + row.entities_skipped;
        const bar = byLayer.get(layer) ?? bars.create(row.entities_expected, 0, { layer: layer.padEnd(7), status: '' });
        byLayer.set(layer, bar);
        bar.setTotal(Math.max(row.entities_expected, 1));
        bar.update(finished, { status: landingOnly ? row.landing_status : layerStatus(row) });
      }
    },
    stop() {
      bars.stop();
    },
  };
}

/** Lines for anything but a terminal: when the call is waiting, when a layer opens and when it ends. */
export function linesView(out: (line: string) => void): ProgressView {
  const said = new Map<string, string>();
  let waitingSaid = false;
  return {
    update({ counts }) {
      if (counts.length === 0 && !waitingSaid) {
        out('waiting for the call to start…');
        waitingSaid = true;
      }
      for (const { layer, row, landingOnly } of layerRows(counts)) {
        const running = row.layer_status === 'running' || row.layer_status === null;
        const line = landingOnly
          ? `landing: ${row.landing_status}`
          : running ? `${layer}: started, ${row.entities_expected} entities` : `${layer}: ${layerStatus(row)}`;
        if (said.get(layer) === line) continue;
        said.set(layer, line);
        out(line);
      }
    },
    stop() {},
  };
}

function layerStatus(row: BatchLayerCounts): string {
  const finished = row.entities_succeeded + row.entities_failed + row.entities_skipped;
  if (row.layer_status === 'running' || row.layer_status === null) return `running (${finished}/${row.entities_expected})`;
  const failed = row.entities_failed > 0 ? `, ${row.entities_failed} failed` : '';
  return `${row.layer_status} (${row.entities_succeeded} ok${failed}, ${row.records_in} rows in)`;
}
