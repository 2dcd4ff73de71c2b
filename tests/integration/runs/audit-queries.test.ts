import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsPerBatch, failedWork, latestSystemRuns } from '../../../shared/runs/audit-queries.ts';
import { recordCheckResults } from '../../../shared/runs/check-results.ts';
import { finishEntityRun, startEntityRun } from '../../../shared/runs/entity-runs.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { enqueueCall } from '../../../shared/runs/outbox.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import { stuckWork } from '../../../shared/runs/stuck-work.ts';
import { createTestDatabase, type TestDatabase } from '../postgres/test-database.ts';
import { backdateRun, landBatch, type LandedBatch } from './fixtures.ts';

describe('audit queries', () => {
  let db: TestDatabase;
  let older: LandedBatch;
  let newer: LandedBatch;
  let failedRunId: string;

  // NSC01: an older batch where everything succeeded, a newer one where `treatment` failed in bronze.
  beforeAll(async () => {
    db = await createTestDatabase();
    const run = (batch: LandedBatch, entity_id: string) =>
      startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'NSC01', layer: 'bronze', entity_id, timeout_seconds: 60 });
    older = await landBatch(db.pool, { system_id: 'NSC01', entities: ['entry', 'treatment'] });
    for (const entity of ['entry', 'treatment']) {
      const started = await run(older, entity);
      await finishEntityRun(db.pool, started.run.run_id, { status: 'succeeded', counts: { records_in: 5, records_inserted: 5 } });
    }
    newer = await landBatch(db.pool, { system_id: 'NSC01', entities: ['entry', 'treatment'] });
    const entry = await run(newer, 'entry');
    await finishEntityRun(db.pool, entry.run.run_id, { status: 'succeeded', counts: { records_in: 3, records_inserted: 1, records_unchanged: 2 } });
    const treatment = await run(newer, 'treatment');
    failedRunId = treatment.run.run_id;
    await finishEntityRun(db.pool, failedRunId, { status: 'failed', error: 'check row_count_min failed: 0 < 1', counts: { records_in: 0 } });
    await landBatch(db.pool, { system_id: 'BNQ01', entities: [] });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('lists the latest landing of each system with its layers', async () => {
    const overview = await latestSystemRuns(db.pool);
    expect(overview.map((each) => [each.run.system_id, each.run.batch_id])).toEqual([
      ['BNQ01', expect.any(String)],
      ['NSC01', newer.batch_id],
    ]);
    const nsc = overview.find((each) => each.run.system_id === 'NSC01');
    expect(nsc?.run).toMatchObject({ status: 'succeeded', entities_succeeded: 1, entities_failed: 1 });
    expect(nsc?.layers).toMatchObject([{ layer: 'bronze', status: 'failed', entities_expected: 2 }]);
  });

  it('lists failed work with its error, and hides it once a later run succeeded', async () => {
    expect(await failedWork(db.pool)).toMatchObject([
      { level: 'entity', run_id: failedRunId, batch_id: newer.batch_id, system_id: 'NSC01', layer: 'bronze', entity_id: 'treatment', error: 'check row_count_min failed: 0 < 1' },
    ]);
    const rerun = await startEntityRun(db.pool, { batch_id: newer.batch_id, system_id: 'NSC01', layer: 'bronze', entity_id: 'treatment', timeout_seconds: 60, force: true });
    await finishEntityRun(db.pool, rerun.run.run_id, { status: 'succeeded', counts: { records_in: 2, records_inserted: 2 } });
    expect(await failedWork(db.pool)).toEqual([]);
    expect(await failedWork(db.pool, { includeResolved: true })).toMatchObject([{ run_id: failedRunId }]);
  });

  it('lists the latest attempt of failed work once, and a failed landing until a later landing of its system succeeds', async () => {
    const batch = await landBatch(db.pool, { system_id: 'RTY01', entities: ['entry'], layer: 'silver' });
    const attempts: string[] = [];
    for (const attempt of [1, 2]) {
      const started = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'RTY01', layer: 'silver', entity_id: 'entry', timeout_seconds: 60 });
      await finishEntityRun(db.pool, started.run.run_id, { status: 'failed', error: `attempt ${attempt} failed`, counts: {} });
      attempts.push(started.run.run_id);
    }
    expect((await failedWork(db.pool, { batchId: batch.batch_id })).map((work) => work.run_id)).toEqual([attempts[1]]);

    const failedBatch = newBatchId();
    const landing = await startSystemRun(db.pool, { batch_id: failedBatch, batch_timestamp: new Date(), system_id: 'RTY02', timeout_seconds: 60 });
    await finishSystemRun(db.pool, landing.run.run_id, { status: 'failed', error: 'source unreachable' });
    expect(await failedWork(db.pool, { batchId: failedBatch })).toMatchObject([{ level: 'system', error: 'source unreachable' }]);
    await landBatch(db.pool, { system_id: 'RTY02', entities: [] });
    expect(await failedWork(db.pool, { batchId: failedBatch })).toEqual([]);
  });

  it('counts entities and rows per batch and layer, newest batch first', async () => {
    const counts = await countsPerBatch(db.pool, { systemId: 'NSC01' });
    expect(counts.map((row) => row.batch_id)).toEqual([newer.batch_id, older.batch_id]);
    expect(counts[1]).toMatchObject({
      landing_status: 'succeeded',
      layer: 'bronze',
      layer_status: 'succeeded',
      entities_expected: 2,
      entities_succeeded: 2,
      records_in: 10,
      records_inserted: 10,
    });
    expect(await countsPerBatch(db.pool, { limit: 1 })).toHaveLength(1);
  });

  it('shows what is stuck: runs past their timeout, old undelivered messages, layers left open', async () => {
    const batch = await landBatch(db.pool, { system_id: 'STK01', entities: ['entry', 'treatment'] });
    const lost = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'STK01', layer: 'bronze', entity_id: 'entry', timeout_seconds: 60 });
    await backdateRun(db.pool, 'entity_layer_run', lost.run.run_id, 61);
    await backdateRun(db.pool, 'system_layer_run', batch.layerRun.run_id, 7200);
    const healthy = await startSystemRun(db.pool, { batch_id: newBatchId(), batch_timestamp: new Date(), system_id: 'STK02', timeout_seconds: 60 });
    const message = await enqueueCall(db.pool, { target_function: 'bronze', payload: { batch_id: batch.batch_id }, batch_id: batch.batch_id, batch_timestamp: batch.batch_timestamp });
    await db.pool.query(`update audit.outbox set created_at = now() - interval '10 minutes' where id = $1`, [message.id]);

    const stuck = await stuckWork(db.pool);
    expect(stuck.runs).toMatchObject([{ level: 'entity', run_id: lost.run.run_id, entity_id: 'entry', layer: 'bronze', timeout_seconds: 60 }]);
    expect(stuck.runs[0]?.running_seconds).toBeGreaterThanOrEqual(61);
    expect(stuck.runs.map((run) => run.run_id)).not.toContain(healthy.run.run_id);
    expect(stuck.messages).toMatchObject([{ id: message.id, target_function: 'bronze', attempts: 0 }]);
    expect(stuck.layers).toMatchObject([{ run_id: batch.layerRun.run_id, entities_expected: 2, entities_finished: 0 }]);
  });

  it('stores data-quality results per check, JSON values intact', async () => {
    const stored = await recordCheckResults(
      db.pool,
      { batch_id: older.batch_id, batch_timestamp: older.batch_timestamp, entity_id: 'entry', call_id: 'call-bronze' },
      [
        { check_name: 'key_unique', observed: 0, expected: 0, passed: true },
        { check_name: 'row_count_change_pct', observed: 42.5, expected: { max: 20 }, passed: false, details: { previous_batch: newer.batch_id } },
      ],
    );
    expect(stored).toMatchObject([
      { check_name: 'key_unique', observed: 0, expected: 0, passed: true, details: null, entity_id: 'entry', batch_id: older.batch_id },
      { check_name: 'row_count_change_pct', observed: 42.5, expected: { max: 20 }, passed: false, details: { previous_batch: newer.batch_id } },
    ]);
  });
});
