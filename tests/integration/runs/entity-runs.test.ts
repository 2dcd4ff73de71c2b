import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../shared/errors.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { finishEntityRun, startEntityRun } from '../../../shared/runs/entity-runs.ts';
import { openSystemLayerRun } from '../../../shared/runs/layer-runs.ts';
import { RunNotRunningError } from '../../../shared/runs/run-errors.ts';
import type { EntityLayerRun, SystemLayerRun, SystemRun } from '../../../shared/runs/run-types.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { backdateRun, fulfilled, landBatch, raceInTransactions } from './fixtures.ts';

describe('entity runs', () => {
  const db = useTestDatabase();

  const start = (batch_id: string, entity_id: string, extra: { force?: boolean; call_id?: string; layer?: 'bronze' | 'silver' } = {}) =>
    startEntityRun(db.pool, { batch_id, system_id: 'JSN01', layer: 'bronze', entity_id, timeout_seconds: 120, ...extra });
  const layerRun = async (runId: string): Promise<SystemLayerRun> =>
    (await db.pool.query<SystemLayerRun>('select * from audit.system_layer_run where run_id = $1', [runId])).rows[0] as SystemLayerRun;
  const systemRun = async (runId: string): Promise<SystemRun> =>
    (await db.pool.query<SystemRun>('select * from audit.system_run where run_id = $1', [runId])).rows[0] as SystemRun;
  const runsOf = async (batchId: string, entityId: string): Promise<EntityLayerRun[]> =>
    (await db.pool.query<EntityLayerRun>('select * from audit.entity_layer_run where batch_id = $1 and entity_id = $2 order by started_at, run_id', [batchId, entityId])).rows;

  it('starts an entity run linked to its layer run and landing run, carrying the batch', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    const started = await start(batch.batch_id, 'person', { call_id: 'call-bronze' });
    expect(started.proceed).toBe(true);
    expect(started.run).toMatchObject({
      batch_id: batch.batch_id,
      batch_timestamp: batch.batch_timestamp,
      system_id: 'JSN01',
      layer: 'bronze',
      entity_id: 'person',
      system_layer_run_id: batch.layerRun.run_id,
      system_run_id: batch.systemRun.run_id,
      call_id: 'call-bronze',
      status: 'running',
      attempt: 1,
    });
  });

  it('refuses to start an entity in a layer nobody opened', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    await expect(start(batch.batch_id, 'person', { layer: 'silver' })).rejects.toThrow(NotFoundError);
  });

  it('skips an entity that already succeeded in this layer, and reprocesses it with force', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    const first = await start(batch.batch_id, 'person');
    await finishEntityRun(db.pool, first.run.run_id, { status: 'succeeded' });
    const again = await start(batch.batch_id, 'person');
    expect(again).toMatchObject({ proceed: false, reason: 'already_succeeded', duplicateOfRunId: first.run.run_id });
    const forced = await start(batch.batch_id, 'person', { force: true });
    expect(forced.proceed).toBe(true);
    expect(forced.run).toMatchObject({ force: true, attempt: 2 });
  });

  it('skips an entity that is running and not stale', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    const first = await start(batch.batch_id, 'person');
    const again = await start(batch.batch_id, 'person', { force: true });
    expect(again).toMatchObject({ proceed: false, reason: 'already_running', duplicateOfRunId: first.run.run_id });
  });

  it('takes over a stale entity run, and refuses the late finish of the old one', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    const lost = await start(batch.batch_id, 'person');
    await backdateRun(db.pool, 'entity_layer_run', lost.run.run_id, 121);
    const next = await start(batch.batch_id, 'person');
    expect(next).toMatchObject({ proceed: true, tookOverRunId: lost.run.run_id });
    expect(next.run).toMatchObject({ took_over_run_id: lost.run.run_id, attempt: 2 });
    const [old] = await runsOf(batch.batch_id, 'person');
    expect(old).toMatchObject({ status: 'failed', error: `stale, taken over by run ${next.run.run_id}` });
    await expect(finishEntityRun(db.pool, lost.run.run_id, { status: 'succeeded' })).rejects.toThrow(RunNotRunningError);
  });

  it('lets exactly one of two truly concurrent starts of the same entity proceed', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    const results = fulfilled(
      await raceInTransactions(db, 2, (tx) =>
        startEntityRun(tx, { batch_id: batch.batch_id, system_id: 'JSN01', layer: 'bronze', entity_id: 'person', timeout_seconds: 120 }),
      ),
    );
    expect(results.map((result) => result.proceed).sort()).toEqual([false, true]);
    expect((await runsOf(batch.batch_id, 'person')).map((run) => run.status).sort()).toEqual(['running', 'skipped']);
  });

  it('stores row counts and rolls entity outcomes up to the layer and the system', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person', 'address', 'pet'] });
    const person = await start(batch.batch_id, 'person');
    const address = await start(batch.batch_id, 'address');
    const pet = await start(batch.batch_id, 'pet');

    const first = await finishEntityRun(db.pool, person.run.run_id, {
      status: 'succeeded',
      counts: { records_in: 10, records_inserted: 7, records_updated: 2, records_unchanged: 1 },
    });
    expect(first.run).toMatchObject({ status: 'succeeded', records_in: 10, records_inserted: 7, records_updated: 2, records_deleted: 0, records_rejected: 0, records_unchanged: 1 });
    expect(first.layerRun).toMatchObject({ status: 'running', entities_succeeded: 1, entities_failed: 0, entities_skipped: 0, finished_at: null });
    expect(first.isLastEntity).toBe(false);

    const second = await finishEntityRun(db.pool, address.run.run_id, { status: 'failed', error: 'amount: cannot coerce "12,50" to numeric', counts: { records_in: 4, records_rejected: 4 } });
    expect(second.layerRun).toMatchObject({ entities_succeeded: 1, entities_failed: 1, status: 'running' });
    expect(second.isLastEntity).toBe(false);

    const third = await finishEntityRun(db.pool, pet.run.run_id, { status: 'skipped', skip_reason: 'no new records' });
    expect(third.isLastEntity).toBe(true);
    expect(third.layerRun).toMatchObject({ status: 'failed', entities_expected: 3, entities_succeeded: 1, entities_failed: 1, entities_skipped: 1 });
    expect(third.layerRun.finished_at).not.toBeNull();
    expect(third.systemRun).toMatchObject({ status: 'succeeded', entities_succeeded: 1, entities_failed: 1, entities_skipped: 1 });
    expect(await systemRun(batch.systemRun.run_id)).toMatchObject({ entities_succeeded: 1, entities_failed: 1, entities_skipped: 1 });
  });

  it('does not count skipped duplicates towards the layer', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person', 'address'] });
    const person = await start(batch.batch_id, 'person');
    await finishEntityRun(db.pool, person.run.run_id, { status: 'succeeded' });
    await start(batch.batch_id, 'person'); // a redelivered call: skipped, not a second entity
    await start(batch.batch_id, 'person');
    expect(await layerRun(batch.layerRun.run_id)).toMatchObject({ status: 'running', entities_succeeded: 1, entities_skipped: 0, finished_at: null });
  });

  it('recounts a forced rerun instead of adding to it, without signalling the layer again', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person', 'address'] });
    const person = await start(batch.batch_id, 'person');
    const address = await start(batch.batch_id, 'address');
    await finishEntityRun(db.pool, person.run.run_id, { status: 'succeeded' });
    const failed = await finishEntityRun(db.pool, address.run.run_id, { status: 'failed', error: 'boom' });
    expect(failed).toMatchObject({ isLastEntity: true, layerRun: { status: 'failed', entities_failed: 1 } });

    const rerun = await start(batch.batch_id, 'address', { force: true });
    const fixed = await finishEntityRun(db.pool, rerun.run.run_id, { status: 'succeeded' });
    expect(fixed.isLastEntity).toBe(false);
    expect(fixed.layerRun).toMatchObject({ status: 'succeeded', entities_succeeded: 2, entities_failed: 0, entities_skipped: 0 });
    expect(fixed.systemRun).toMatchObject({ entities_succeeded: 2, entities_failed: 0 });
  });

  it('counts an entity once per system across layers: failed anywhere wins', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person', 'address'] });
    for (const entity of ['person', 'address']) {
      const run = await start(batch.batch_id, entity);
      await finishEntityRun(db.pool, run.run.run_id, { status: 'succeeded' });
    }
    await openSystemLayerRun(db.pool, { batch_id: batch.batch_id, system_id: 'JSN01', layer: 'silver', entities_expected: 2 });
    const silver = await start(batch.batch_id, 'address', { layer: 'silver' });
    const result = await finishEntityRun(db.pool, silver.run.run_id, { status: 'failed', error: 'lock timeout' });
    expect(result.systemRun).toMatchObject({ entities_succeeded: 1, entities_failed: 1, entities_skipped: 0 });
  });

  it('tells exactly one of ten concurrent finishing calls that it finished the layer', async () => {
    const entities = Array.from({ length: 10 }, (_, index) => `entity_${index}`);
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities });
    const runs: EntityLayerRun[] = [];
    for (const entity of entities) runs.push((await start(batch.batch_id, entity)).run);
    const results = fulfilled(
      await raceInTransactions(db, runs.length, (tx, index) =>
        finishEntityRun(tx, (runs[index] as EntityLayerRun).run_id, { status: 'succeeded', counts: { records_in: index } }),
      ),
    );
    expect(results.filter((result) => result.isLastEntity)).toHaveLength(1);
    expect(await layerRun(batch.layerRun.run_id)).toMatchObject({ status: 'succeeded', entities_succeeded: 10, entities_failed: 0 });
    expect(await systemRun(batch.systemRun.run_id)).toMatchObject({ entities_succeeded: 10 });
  });

  it('opens a layer once: a second open returns the first, and an empty layer is skipped at once', async () => {
    const batch = await landBatch(db.pool, { system_id: 'JSN01', entities: ['person'] });
    const again = await openSystemLayerRun(db.pool, { batch_id: batch.batch_id, system_id: 'JSN01', layer: 'bronze', entities_expected: 5 });
    expect(again).toMatchObject({ opened: false, layerRun: { run_id: batch.layerRun.run_id, entities_expected: 1 } });
    const empty = await openSystemLayerRun(db.pool, { batch_id: batch.batch_id, system_id: 'JSN01', layer: 'gold', entities_expected: 0 });
    expect(empty).toMatchObject({ opened: true, layerRun: { status: 'skipped', entities_expected: 0 } });
    expect(empty.layerRun.finished_at).not.toBeNull();
  });

  it('refuses to open a layer for a batch that never landed', async () => {
    await expect(
      openSystemLayerRun(db.pool, { batch_id: newBatchId(), system_id: 'JSN01', layer: 'bronze', entities_expected: 1 }),
    ).rejects.toThrow(NotFoundError);
  });
});
