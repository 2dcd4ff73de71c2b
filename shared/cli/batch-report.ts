/**
 * How the CLI and `npm start` show a batch to a person: one line per layer with its status, entity outcomes and row
 * counts, and each piece of failed work with its error and the command that runs it again.
 */
import { rerunCommand } from '../core/rerun-command.ts';
import type { BatchLayerCounts, FailedWork } from '../runs/audit-queries.ts';

const LAYER_ORDER = ['landing', 'bronze', 'silver', 'gold'] as const;

/** One line per layer (a header first): status, entity outcomes and row counts; a layer not reached shows a dash. */
export function layerTable(counts: readonly BatchLayerCounts[]): string[] {
  const header = ['layer', 'status', 'entities ok/failed/skipped', 'in', 'inserted', 'updated', 'deleted', 'rejected', 'unchanged'];
  const rows = LAYER_ORDER.map((layer) => {
    const row = counts.find((each) => each.layer === layer);
    if (!row) return [layer, '—', '', '', '', '', '', '', ''];
    return [
      layer,
      row.layer_status ?? '—',
      `${row.entities_succeeded}/${row.entities_failed}/${row.entities_skipped} of ${row.entities_expected}`,
      ...[row.records_in, row.records_inserted, row.records_updated, row.records_deleted, row.records_rejected, row.records_unchanged].map(String),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const render = (cells: readonly string[]): string =>
    `  ${cells.map((cell, column) => (column >= 3 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0))).join('  ')}`.trimEnd();
  return [render(header), ...rows.map(render)];
}

/** Failed work as lines: where, the first line of its error, and the command that runs it again. */
export function failedWorkLines(failed: readonly FailedWork[], indent = '  '): string[] {
  return failed.flatMap((work) => [
    `${indent}${work.system_id} ${work.layer ?? 'landing'}${work.entity_id === null ? '' : ` ${work.entity_id}`} (attempt ${work.attempt}): ${firstLine(work.error)}`,
    `${indent}  rerun: ${rerunCommand(work)}`,
  ]);
}

/** The first line of an error text, at most 200 characters. */
export function firstLine(text: string | null): string {
  const line = (text ?? '(no error text)').split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Failures of the same work with the same error, across batches: one line for a person, not one per batch. */
export interface FailureGroup {
  /** The newest failure of the group (`failed` is newest first). */
  readonly latest: FailedWork;
  /** How many batches failed this way. */
  readonly batches: number;
}

/** Groups failed work by system, layer, entity and the first line of its error, keeping the newest-first order. */
export function groupFailures(failed: readonly FailedWork[]): FailureGroup[] {
  const groups = new Map<string, { latest: FailedWork; batches: Set<string> }>();
  for (const work of failed) {
    const key = JSON.stringify([work.system_id, work.layer, work.entity_id, firstLine(work.error)]);
    const group = groups.get(key) ?? { latest: work, batches: new Set<string>() };
    group.batches.add(work.batch_id);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => ({ latest: group.latest, batches: group.batches.size }));
}
