import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../shared/cli/cli-io.ts';
import { latestWork, unitsToForce, unitsToRerun } from '../../../shared/cli/work-plan.ts';
import type { Layer, RunStatus } from '../../../shared/core/run-status.ts';
import type { EntityLayerRun, SystemRun } from '../../../shared/runs/run-types.ts';

const BATCH = '0190d6b0-0000-7000-8000-000000000001';
const BATCH_TIME = new Date('2025-03-01T06:00:00Z');
const NOW = new Date('2025-03-01T07:00:00Z');
const minute = (n: number): Date => new Date(BATCH_TIME.getTime() + n * 60_000);

function run(status: RunStatus, startedMinute: number, extra: Partial<SystemRun> = {}): SystemRun {
  return {
    run_id: `run-${startedMinute}-${status}`, batch_id: BATCH, batch_timestamp: BATCH_TIME, system_id: 'TST01',
    call_id: null, parent_call_id: null, status, force: false, attempt: 1, timeout_seconds: 300,
    took_over_run_id: null, duplicate_of_run_id: null, skip_reason: null, error: status === 'failed' ? 'boom' : null,
    started_at: minute(startedMinute), finished_at: status === 'running' ? null : minute(startedMinute + 1),
    entities_succeeded: 0, entities_failed: 0, entities_skipped: 0, ...extra,
  };
}

function entityRun(layer: Layer, entity: string, status: RunStatus, startedMinute: number, extra: Partial<EntityLayerRun> = {}): EntityLayerRun {
  const { entities_succeeded: _s, entities_failed: _f, entities_skipped: _k, ...row } = run(status, startedMinute);
  return {
    ...row, run_id: `${layer}-${entity}-${startedMinute}`, layer, entity_id: entity, system_layer_run_id: 'l', system_run_id: 's',
    records_in: 0, records_inserted: 0, records_updated: 0, records_deleted: 0, records_rejected: 0, records_unchanged: 0, ...extra,
  };
}

const lineage = {
  landings: [run('succeeded', 0), run('skipped', 2, { duplicate_of_run_id: 'run-0-succeeded' })],
  entity_runs: [
    entityRun('bronze', 'customer', 'succeeded', 2),
    entityRun('bronze', 'order', 'failed', 2),
    entityRun('bronze', 'order', 'succeeded', 5), // the retry fixed it
    entityRun('silver', 'customer', 'failed', 3),
    entityRun('silver', 'customer', 'skipped', 4, { duplicate_of_run_id: 'x' }), // a duplicate call, not a new outcome
    entityRun('silver', 'order', 'running', 6), // died: 300 s timeout, 54 min ago
    entityRun('gold', 'total', 'running', 58), // still within its timeout
  ],
};
const describeUnits = (units: ReturnType<typeof unitsToRerun>): string[] => units.map((unit) => `${unit.layer ?? 'landing'}/${unit.entity_id ?? '-'}`);

describe('latestWork', () => {
  it('keeps the latest run per piece of work, duplicates left out', () => {
    const states = latestWork(lineage).map((state) => `${state.unit.layer ?? 'landing'}/${state.unit.entity_id ?? '-'}:${state.run.status}`);
    expect(states).toEqual(['landing/-:succeeded', 'bronze/customer:succeeded', 'bronze/order:succeeded', 'silver/customer:failed', 'silver/order:running', 'gold/total:running']);
  });
});

describe('unitsToRerun', () => {
  it('takes what is still failed and what died running, not what a retry fixed or what still runs', () => {
    expect(describeUnits(unitsToRerun(lineage, {}, NOW))).toEqual(['silver/customer', 'silver/order']);
  });

  it('narrows to a layer or an entity', () => {
    expect(describeUnits(unitsToRerun(lineage, { layer: 'bronze' }, NOW))).toEqual([]);
    expect(describeUnits(unitsToRerun(lineage, { entity: 'order' }, NOW))).toEqual(['silver/order']);
  });

  it('takes a named layer and entity as asked, even one that never ran (its call was lost)', () => {
    const units = unitsToRerun(lineage, { layer: 'gold', entity: 'monthly' }, NOW);
    expect(units).toEqual([{ level: 'entity', batch_id: BATCH, batch_timestamp: BATCH_TIME, system_id: 'TST01', layer: 'gold', entity_id: 'monthly' }]);
  });

  it('reruns a failed landing as the landing of that batch', () => {
    const failedLanding = { landings: [run('failed', 0)], entity_runs: [] };
    expect(unitsToRerun(failedLanding, { layer: 'landing' }, NOW)).toEqual([
      { level: 'system', batch_id: BATCH, batch_timestamp: BATCH_TIME, system_id: 'TST01', layer: null, entity_id: null },
    ]);
  });

  it('refuses an entity of the landing, and a later layer of a batch that never landed', () => {
    expect(() => unitsToRerun(lineage, { layer: 'landing', entity: 'customer' }, NOW)).toThrow(UsageError);
    expect(() => unitsToRerun({ landings: [], entity_runs: [] }, { layer: 'bronze', entity: 'customer' }, NOW)).toThrow(/has no landing/);
  });
});

describe('unitsToForce', () => {
  it('takes every piece of work of the layer that ran, whatever its outcome', () => {
    expect(describeUnits(unitsToForce(lineage, { layer: 'bronze' }))).toEqual(['bronze/customer', 'bronze/order']);
    expect(describeUnits(unitsToForce(lineage, { layer: 'silver', entity: 'customer' }))).toEqual(['silver/customer']);
  });

  it('needs a layer, and says when nothing of it ran', () => {
    expect(() => unitsToForce(lineage, {})).toThrow(/needs --layer/);
    expect(() => unitsToForce({ landings: [run('failed', 0)], entity_runs: [] }, { layer: 'silver' })).toThrow(/no run of layer silver/);
  });
});
