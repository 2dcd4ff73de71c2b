/**
 * Which pieces of a batch's work `rerun` and `force` start again, chosen from the batch's audit rows (its lineage).
 * Plain functions over plain data: the commands read the rows, these decide.
 */
import { isStale } from '../core/run-staleness.ts';
import type { Layer } from '../core/run-status.ts';
import type { WorkUnit } from '../layers/chaining/work-call.ts';
import type { BatchLineage } from '../runs/batch-lineage.ts';
import type { RunRow } from '../runs/run-types.ts';
import { UsageError } from './cli-io.ts';

/** What the command line narrowed the work to. */
export interface WorkSelection {
  readonly layer?: Layer | undefined;
  readonly entity?: string | undefined;
}

/** A piece of work with the latest run that did it (skipped duplicates left out). */
export interface WorkState {
  readonly unit: WorkUnit;
  readonly run: RunRow;
}

/** The latest run of each piece of work in the batch: its landing, then each entity in each layer, as data flows. */
export function latestWork(lineage: Pick<BatchLineage, 'landings' | 'entity_runs'>): WorkState[] {
  const latest = new Map<string, WorkState>();
  const keep = (key: string, state: WorkState): void => {
    const seen = latest.get(key);
    if (!seen || seen.run.started_at.getTime() <= state.run.started_at.getTime()) latest.set(key, state);
  };
  for (const run of lineage.landings) {
    if (run.duplicate_of_run_id !== null) continue;
    keep('landing', { unit: { level: 'system', batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, system_id: run.system_id, layer: null, entity_id: null }, run });
  }
  for (const run of lineage.entity_runs) {
    if (run.duplicate_of_run_id !== null) continue;
    const unit: WorkUnit = { level: 'entity', batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, system_id: run.system_id, layer: run.layer, entity_id: run.entity_id };
    keep(`${run.layer}/${run.entity_id}`, { unit, run });
  }
  return [...latest.values()];
}

/**
 * What `rerun` starts: the selected work whose latest run failed, or is still `running` past its function's timeout
 * (its call died). A selection naming both a layer and an entity is taken as asked even when nothing failed (its
 * call may have been lost before it ran): without `force` the function skips it if it succeeded meanwhile.
 */
export function unitsToRerun(lineage: Pick<BatchLineage, 'landings' | 'entity_runs'>, selection: WorkSelection, now: Date): WorkUnit[] {
  checkSelection(selection);
  const work = latestWork(lineage).filter((state) => matches(state.unit, selection));
  if (selection.entity !== undefined && selection.layer !== undefined) {
    const named = work[0]?.unit ?? namedUnit(lineage, selection);
    return [named];
  }
  return work
    .filter(({ run }) => run.status === 'failed' || (run.status === 'running' && isStale(run.started_at, run.timeout_seconds, now)))
    .map((state) => state.unit);
}

/** What `force` starts: every selected piece of work that ran in the batch, whatever its outcome. */
export function unitsToForce(lineage: Pick<BatchLineage, 'landings' | 'entity_runs'>, selection: WorkSelection): WorkUnit[] {
  checkSelection(selection);
  if (selection.layer === undefined) throw new UsageError('force needs --layer (landing, bronze, silver or gold)');
  const units = latestWork(lineage)
    .filter((state) => matches(state.unit, selection))
    .map((state) => state.unit);
  if (units.length === 0) {
    const what = selection.entity === undefined ? `layer ${selection.layer}` : `${selection.entity} in layer ${selection.layer}`;
    throw new UsageError(`the batch has no run of ${what} to force; "rerun" starts work that never ran`);
  }
  return units;
}

function checkSelection(selection: WorkSelection): void {
  if (selection.layer === 'landing' && selection.entity !== undefined) {
    throw new UsageError('a landing is one piece of work for the whole system: leave --entity out with --layer landing');
  }
}

function matches(unit: WorkUnit, selection: WorkSelection): boolean {
  const layer = unit.layer ?? 'landing';
  if (selection.layer !== undefined && layer !== selection.layer) return false;
  return selection.entity === undefined || unit.entity_id === selection.entity;
}

/** The unit an explicit `--layer L --entity E` names, for work that has no run in the batch yet. */
function namedUnit(lineage: Pick<BatchLineage, 'landings'>, selection: WorkSelection): WorkUnit {
  const landing = lineage.landings[0];
  if (!landing) throw new UsageError('the batch has no landing: nothing of it can run in a later layer');
  return {
    level: 'entity',
    batch_id: landing.batch_id,
    batch_timestamp: landing.batch_timestamp,
    system_id: landing.system_id,
    layer: selection.layer ?? null,
    entity_id: selection.entity ?? null,
  };
}
