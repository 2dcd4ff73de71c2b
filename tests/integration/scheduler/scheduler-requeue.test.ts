import { beforeEach, describe, expect, it } from 'vitest';
import { finishEntityRun, startEntityRun } from '../../../shared/runs/entity-runs.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import type { EntityLayerRun } from '../../../shared/runs/run-types.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { backdateRun, landBatch } from '../runs/fixtures.ts';
import { useGatewayStandIn } from '../runtime/gateway-stand-in.ts';
import { asIsEntity, jsonFileSystem, testMetadata } from '../runtime/test-metadata.ts';
import { tickScheduler, type TickAnswer } from './scheduler-harness.ts';

const metadata = testMetadata({
  systems: [jsonFileSystem('SRA01'), jsonFileSystem('SRB01', { enabled: false })],
  entities: [
    asIsEntity('sr_customer', 'SRA01'),
    asIsEntity('sr_order', 'SRA01'),
    asIsEntity('sr_off', 'SRA01', { enabled: false }),
    asIsEntity('sr_other', 'SRB01'),
  ],
});

describe('scheduler: re-queueing failed and lost work', () => {
  const db = useTestDatabase();
  const gateway = useGatewayStandIn();
  beforeEach(async () => {
    // Each test sees only the work it creates.
    await db.pool.query(`update audit.entity_layer_run set status = 'succeeded', finished_at = now() where status <> 'succeeded'`);
    await db.pool.query(`update audit.system_run set status = 'succeeded', finished_at = now(), error = null where status <> 'succeeded'`);
  });

  /** One tick now by a scheduler process of its own (on `pool`). */
  const tick = (callId = 'tick', pool = db.pool): Promise<TickAnswer> => tickScheduler({ pool, metadata, gatewayUrl: gateway.url, now: new Date(), callId });

  /** Runs an entity of a landed batch in bronze and ends it `failed`, `attempts` times over. */
  const failEntity = async (batchId: string, systemId: string, entityId: string, attempts = 1): Promise<EntityLayerRun> => {
    let run: EntityLayerRun | undefined;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const start = await startEntityRun(db.pool, { batch_id: batchId, system_id: systemId, layer: 'bronze', entity_id: entityId, call_id: `call-${attempt}`, timeout_seconds: 60 });
      if (!start.proceed) throw new Error(`fixture: attempt ${attempt} did not proceed`);
      run = (await finishEntityRun(db.pool, start.run.run_id, { status: 'failed', error: 'PostgreSQL unavailable' })).run;
    }
    return run as EntityLayerRun;
  };
  /** Moves a failed entity run, and the earlier runs of its work, back in time, as if it failed `seconds` ago. */
  const ageEntityRun = (runId: string, seconds: number) =>
    db.pool.query(
      `update audit.entity_layer_run as run
          set started_at = run.started_at - make_interval(secs => $2),
              finished_at = run.finished_at - make_interval(secs => $2)
         from audit.entity_layer_run as aged
        where aged.run_id = $1
          and run.batch_id = aged.batch_id
          and run.layer = aged.layer
          and run.entity_id = aged.entity_id`,
      [runId, seconds],
    );
  /** Moves a landing run back in time, as if it failed `seconds` ago. */
  const ageSystemRun = (runId: string, seconds: number) =>
    db.pool.query(
      `update audit.system_run
          set started_at = started_at - make_interval(secs => $2),
              finished_at = finished_at - make_interval(secs => $2)
        where run_id = $1`,
      [runId, seconds],
    );

  it('re-queues a failed entity run once its backoff passed, with force false, once', async () => {
    const batch = await landBatch(db.pool, { system_id: 'SRA01', entities: ['sr_customer', 'sr_order'] });
    const failed = await failEntity(batch.batch_id, 'SRA01', 'sr_customer');

    expect((await tick()).body.requeued).toBe(0); // failed just now: waits 60 s first
    await ageEntityRun(failed.run_id, 61);
    const answer = await tick('tick-requeue');
    expect(answer.body).toMatchObject({ status: 'succeeded', requeued: 1, delivered: 1 });
    expect(answer.body.requeued_runs).toEqual([
      { run_id: failed.run_id, reason: 'failed', target_function: 'bronze', batch_id: batch.batch_id, system_id: 'SRA01', entity_id: 'sr_customer', attempt: 2 },
    ]);
    expect(gateway.received).toMatchObject([
      {
        path: '/async-function/bronze',
        body: { batch_id: batch.batch_id, system_id: 'SRA01', entity_id: 'sr_customer', force: false, parent_call_id: 'tick-requeue' },
      },
    ]);
    const { rows } = await db.pool.query('select * from audit.requeued_run where run_id = $1', [failed.run_id]);
    expect(rows).toMatchObject([{ level: 'entity', reason: 'failed', attempt: 2, decision: 'requeued', target_function: 'bronze', call_id: 'tick-requeue', outbox_id: expect.any(String) }]);

    expect((await tick()).body.requeued).toBe(0); // the same run is re-queued once
    // The re-queued call starts the work again as attempt 2.
    const retry = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'SRA01', layer: 'bronze', entity_id: 'sr_customer', timeout_seconds: 60 });
    expect(retry).toMatchObject({ proceed: true, run: { attempt: 2 } });
  });

  it('stops after the third attempt', async () => {
    const batch = await landBatch(db.pool, { system_id: 'SRA01', entities: ['sr_customer'] });
    const third = await failEntity(batch.batch_id, 'SRA01', 'sr_customer', 3);
    expect(third.attempt).toBe(3);
    await ageEntityRun(third.run_id, 3600);
    expect((await tick()).body.requeued).toBe(0);
  });

  it('backs off longer after each attempt (60 s, then 2 min)', async () => {
    const batch = await landBatch(db.pool, { system_id: 'SRA01', entities: ['sr_order'] });
    const second = await failEntity(batch.batch_id, 'SRA01', 'sr_order', 2);
    await ageEntityRun(second.run_id, 90);
    expect((await tick()).body.requeued).toBe(0);
    await ageEntityRun(second.run_id, 31);
    expect((await tick()).body.requeued_runs).toMatchObject([{ run_id: second.run_id, attempt: 3 }]);
  });

  it('re-queues a run still running past its timeout as stale, and the new call takes it over', async () => {
    const batch = await landBatch(db.pool, { system_id: 'SRA01', entities: ['sr_order'] });
    const start = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'SRA01', layer: 'bronze', entity_id: 'sr_order', timeout_seconds: 60 });
    expect((await tick()).body.requeued).toBe(0); // still within its timeout
    await backdateRun(db.pool, 'entity_layer_run', start.run.run_id, 61);
    expect((await tick()).body.requeued_runs).toMatchObject([{ run_id: start.run.run_id, reason: 'stale', target_function: 'bronze', attempt: 2 }]);
    const takeOver = await startEntityRun(db.pool, { batch_id: batch.batch_id, system_id: 'SRA01', layer: 'bronze', entity_id: 'sr_order', timeout_seconds: 60 });
    expect(takeOver).toMatchObject({ proceed: true, tookOverRunId: start.run.run_id, run: { attempt: 2 } });
  });

  it('re-queues a failed landing through its connector, unless a newer batch of the system started', async () => {
    const land = async (status: 'failed' | 'succeeded') => {
      const batch_id = newBatchId();
      const start = await startSystemRun(db.pool, { batch_id, batch_timestamp: new Date(), system_id: 'SRA01', timeout_seconds: 300 });
      await finishSystemRun(db.pool, start.run.run_id, { status, ...(status === 'failed' ? { error: 'source unreachable' } : {}) });
      await ageSystemRun(start.run.run_id, 120);
      return start.run;
    };
    const superseded = await land('failed');
    await land('succeeded');
    const latest = await land('failed');
    const answer = await tick();
    expect(answer.body.requeued_runs).toEqual([
      {
        run_id: latest.run_id,
        reason: 'failed',
        target_function: 'connector-jsonfile',
        batch_id: latest.batch_id,
        system_id: 'SRA01',
        entity_id: null,
        attempt: 2,
      },
    ]);
    expect(answer.body.requeued_runs.map((run) => run.run_id)).not.toContain(superseded.run_id);
    expect(gateway.received).toMatchObject([
      { path: '/async-function/connector-jsonfile', body: { system_id: 'SRA01', batch_id: latest.batch_id, force: false } },
    ]);
  });

  it('records, once, why work of a disabled entity or system is not re-queued', async () => {
    const batch = await landBatch(db.pool, { system_id: 'SRA01', entities: ['sr_off'] });
    const off = await failEntity(batch.batch_id, 'SRA01', 'sr_off');
    await ageEntityRun(off.run_id, 61);
    const other = await landBatch(db.pool, { system_id: 'SRB01', entities: ['sr_other'] });
    const disabled = await failEntity(other.batch_id, 'SRB01', 'sr_other');
    await ageEntityRun(disabled.run_id, 61);

    expect((await tick()).body.requeued).toBe(0);
    expect(gateway.received).toEqual([]);
    const { rows } = await db.pool.query('select run_id, decision, note, target_function, outbox_id from audit.requeued_run where run_id = any($1) order by note', [[off.run_id, disabled.run_id]]);
    expect(rows).toEqual([
      { run_id: off.run_id, decision: 'not_requeued', note: 'entity sr_off is unknown or disabled', target_function: null, outbox_id: null },
      { run_id: disabled.run_id, decision: 'not_requeued', note: 'system SRB01 is unknown or disabled', target_function: null, outbox_id: null },
    ]);
  });

  it('re-queues a run once when two ticks overlap', async () => {
    const batch = await landBatch(db.pool, { system_id: 'SRA01', entities: ['sr_customer'] });
    const failed = await failEntity(batch.batch_id, 'SRA01', 'sr_customer');
    await ageEntityRun(failed.run_id, 61);
    const [a, b] = await Promise.all([tick('tick-a', db.newPool(2)), tick('tick-b', db.newPool(2))]);
    expect(a.body.requeued + b.body.requeued).toBe(1);
    const { rows } = await db.pool.query(`select count(*)::int as calls from audit.outbox where target_function = 'bronze' and batch_id = $1`, [batch.batch_id]);
    expect(rows).toEqual([{ calls: 1 }]);
  });
});
