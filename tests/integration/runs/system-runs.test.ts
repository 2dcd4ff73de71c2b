import { describe, expect, it } from 'vitest';
import { withTransaction, query } from '../../../shared/adapters/postgres/transaction.ts';
import { SQLSTATE, hasSqlState } from '../../../shared/adapters/postgres/errors.ts';
import { newBatchId, newRunId } from '../../../shared/runs/ids.ts';
import { RunNotRunningError } from '../../../shared/runs/run-errors.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import type { SystemRun } from '../../../shared/runs/run-types.ts';
import { InvalidPayloadError } from '../../../shared/errors.ts';
import { useTestDatabase } from '../postgres/test-database.ts';
import { backdateRun, fulfilled, raceInTransactions } from './fixtures.ts';

describe('system runs', () => {
  const db = useTestDatabase();

  const work = () => ({ batch_id: newBatchId(), batch_timestamp: new Date('2025-03-01T06:00:00Z'), system_id: 'NSC01', timeout_seconds: 60 });
  const rowsOf = async (batchId: string): Promise<SystemRun[]> =>
    (await db.pool.query<SystemRun>('select * from audit.system_run where batch_id = $1 order by started_at, run_id', [batchId])).rows;

  it('records a new landing as running, with its call, batch and timeout', async () => {
    const input = { ...work(), call_id: 'call-1', parent_call_id: 'call-0' };
    const start = await startSystemRun(db.pool, input);
    expect(start.proceed).toBe(true);
    expect(start.run).toMatchObject({
      batch_id: input.batch_id,
      batch_timestamp: input.batch_timestamp,
      system_id: 'NSC01',
      call_id: 'call-1',
      parent_call_id: 'call-0',
      status: 'running',
      attempt: 1,
      force: false,
      timeout_seconds: 60,
      finished_at: null,
    });
  });

  it('skips a batch whose landing already succeeded, pointing at that run', async () => {
    const input = work();
    const first = await startSystemRun(db.pool, input);
    await finishSystemRun(db.pool, first.run.run_id, { status: 'succeeded' });
    const second = await startSystemRun(db.pool, { ...input, call_id: 'redelivered' });
    expect(second).toMatchObject({ proceed: false, reason: 'already_succeeded', duplicateOfRunId: first.run.run_id });
    expect(second.run).toMatchObject({ status: 'skipped', skip_reason: 'already_succeeded', duplicate_of_run_id: first.run.run_id, call_id: 'redelivered' });
    expect(second.run.finished_at).toEqual(second.run.started_at);
    expect((await rowsOf(input.batch_id)).map((row) => row.status)).toEqual(['succeeded', 'skipped']);
  });

  it('skips a batch whose landing is running and not stale', async () => {
    const input = work();
    const first = await startSystemRun(db.pool, input);
    const second = await startSystemRun(db.pool, input);
    expect(second).toMatchObject({ proceed: false, reason: 'already_running', duplicateOfRunId: first.run.run_id });
    expect((await rowsOf(input.batch_id)).map((row) => row.status)).toEqual(['running', 'skipped']);
  });

  it('reprocesses a succeeded batch with force, as the next attempt', async () => {
    const input = work();
    const first = await startSystemRun(db.pool, input);
    await finishSystemRun(db.pool, first.run.run_id, { status: 'succeeded' });
    const forced = await startSystemRun(db.pool, { ...input, force: true });
    expect(forced.proceed).toBe(true);
    expect(forced.run).toMatchObject({ status: 'running', force: true, attempt: 2, took_over_run_id: null });
  });

  it('takes over a running landing older than the timeout, recording both sides', async () => {
    const input = work();
    const lost = await startSystemRun(db.pool, input);
    await backdateRun(db.pool, 'system_run', lost.run.run_id, 61);
    const next = await startSystemRun(db.pool, input);
    expect(next).toMatchObject({ proceed: true, tookOverRunId: lost.run.run_id });
    expect(next.run).toMatchObject({ status: 'running', attempt: 2, took_over_run_id: lost.run.run_id });
    const [old] = await rowsOf(input.batch_id);
    expect(old).toMatchObject({ run_id: lost.run.run_id, status: 'failed', error: `stale, taken over by run ${next.run.run_id}` });
    expect(old?.finished_at).not.toBeNull();
  });

  it('refuses to finish a run that was taken over, so the late call rolls its data back', async () => {
    const input = work();
    const lost = await startSystemRun(db.pool, input);
    await backdateRun(db.pool, 'system_run', lost.run.run_id, 3600);
    await startSystemRun(db.pool, input);
    await db.pool.query('create table if not exists public.landed (batch_id uuid)');
    const late = withTransaction(db.pool, async (tx) => {
      await query(tx, 'write data', 'insert into public.landed values ($1)', [input.batch_id]);
      return finishSystemRun(tx, lost.run.run_id, { status: 'succeeded' });
    });
    await expect(late).rejects.toThrow(RunNotRunningError);
    await expect(late).rejects.toThrow(/is no longer running \(failed: stale, taken over by run/);
    const landed = await db.pool.query('select * from public.landed where batch_id = $1', [input.batch_id]);
    expect(landed.rows).toEqual([]);
  });

  it('lets exactly one of two truly concurrent starts of the same landing proceed', async () => {
    const input = work();
    const results = fulfilled(await raceInTransactions(db, 2, (tx, index) => startSystemRun(tx, { ...input, call_id: `racer-${index}` })));
    expect(results.filter((result) => result.proceed)).toHaveLength(1);
    const loser = results.find((result) => !result.proceed);
    const winner = results.find((result) => result.proceed);
    expect(loser).toMatchObject({ reason: 'already_running', duplicateOfRunId: winner?.run.run_id });
    expect((await rowsOf(input.batch_id)).map((row) => row.status).sort()).toEqual(['running', 'skipped']);
  });

  it('lets exactly one of two concurrent forced starts proceed', async () => {
    const input = { ...work(), force: true };
    const results = fulfilled(await raceInTransactions(db, 2, (tx) => startSystemRun(tx, input)));
    expect(results.map((result) => result.proceed).sort()).toEqual([false, true]);
  });

  it('has the database refuse a second running row of the same work', async () => {
    const input = work();
    await startSystemRun(db.pool, input);
    const sneaky = db.pool.query(
      `insert into audit.system_run (run_id, batch_id, batch_timestamp, system_id, status, timeout_seconds, started_at)
       values ($1, $2, $3, $4, 'running', 60, now())`,
      [newRunId(), input.batch_id, input.batch_timestamp, input.system_id],
    );
    const error = await sneaky.catch((e: unknown) => e);
    expect(hasSqlState(error, SQLSTATE.UNIQUE_VIOLATION)).toBe(true);
  });

  it('records the end of a landing with its error, cut to a readable length', async () => {
    const start = await startSystemRun(db.pool, work());
    const finished = await finishSystemRun(db.pool, start.run.run_id, { status: 'failed', error: `source answered 500: ${'x'.repeat(5000)}` });
    expect(finished).toMatchObject({ status: 'failed' });
    expect(finished.error?.length).toBe(4000);
    expect(finished.finished_at).not.toBeNull();
  });

  it('refuses a malformed start with the paths at fault', async () => {
    const error = await startSystemRun(db.pool, { ...work(), batch_id: 'not-a-uuid', timeout_seconds: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect((error as InvalidPayloadError).issues.map((issue) => issue.split(':')[0])).toEqual(['batch_id', 'timeout_seconds']);
  });
});
