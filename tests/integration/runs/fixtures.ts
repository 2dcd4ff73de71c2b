import type pg from 'pg';
import { query, withTransaction, type Transaction } from '../../../shared/adapters/postgres/transaction.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { openSystemLayerRun } from '../../../shared/runs/layer-runs.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import type { SystemLayerRun, SystemRun } from '../../../shared/runs/run-types.ts';
import type { Layer } from '../../../shared/core/run-status.ts';
import type { TestDatabase } from '../postgres/test-database.ts';

/** A landed batch with one layer opened for its entities. */
export interface LandedBatch {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
  readonly systemRun: SystemRun;
  readonly layerRun: SystemLayerRun;
}

/** Lands a batch of `system_id` (a succeeded landing run) and opens `layer` for `entities`. */
export async function landBatch(
  pool: pg.Pool,
  options: { system_id: string; entities: readonly string[]; layer?: Layer },
): Promise<LandedBatch> {
  const batch_id = newBatchId();
  const batch_timestamp = new Date();
  const start = await startSystemRun(pool, { batch_id, batch_timestamp, system_id: options.system_id, call_id: 'call-landing', timeout_seconds: 300 });
  if (!start.proceed) throw new Error('fixture: landing did not proceed');
  await finishSystemRun(pool, start.run.run_id, { status: 'succeeded' });
  const { layerRun } = await openSystemLayerRun(pool, {
    batch_id,
    system_id: options.system_id,
    layer: options.layer ?? 'bronze',
    entities_expected: options.entities.length,
    call_id: 'call-landing',
  });
  return { batch_id, batch_timestamp, systemRun: start.run, layerRun };
}

/** Moves a run's start back in time, as if its call had been running (or lost) that long. */
export async function backdateRun(
  pool: pg.Pool,
  table: 'system_run' | 'entity_layer_run' | 'system_layer_run',
  runId: string,
  seconds: number,
): Promise<void> {
  await pool.query(`update audit.${table} set started_at = started_at - make_interval(secs => $2) where run_id = $1`, [runId, seconds]);
}

const BARRIER_CLASS = 4242;
let barrierCounter = 0;

/**
 * Runs `work` in `count` transactions on `count` separate connections, released at the same instant: each
 * transaction first waits on a shared advisory lock that a gate connection holds exclusively; once all of them
 * are waiting (seen in `pg_locks`), the gate lets go and they race for real.
 */
export async function raceInTransactions<T>(
  db: TestDatabase,
  count: number,
  work: (tx: Transaction, index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const key = ++barrierCounter;
  const gate = await db.newPool(1).connect();
  try {
    await gate.query('select pg_advisory_lock($1, $2)', [BARRIER_CLASS, key]);
    const racers = Array.from({ length: count }, () => db.newPool(1));
    // warm every connection up first, so the race is not decided by connection setup
    await Promise.all(racers.map(async (pool) => (await pool.connect()).release()));
    const running = racers.map((pool, index) =>
      withTransaction(pool, async (tx) => {
        await query(tx, 'wait at barrier', 'select pg_advisory_xact_lock_shared($1, $2)', [BARRIER_CLASS, key]);
        return work(tx, index);
      }),
    );
    const settled = Promise.allSettled(running);
    for (;;) {
      const waiting = await gate.query<{ waiting: number }>(
        `select count(*)::int as waiting
           from pg_locks
          where locktype = 'advisory' and classid = $1 and objid = $2 and not granted`,
        [BARRIER_CLASS, key],
      );
      if ((waiting.rows[0]?.waiting ?? 0) >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await gate.query('select pg_advisory_unlock($1, $2)', [BARRIER_CLASS, key]);
    return await settled;
  } finally {
    gate.release();
  }
}

/** The values of the fulfilled results; fails the test on a rejected one, showing its error. */
export function fulfilled<T>(results: PromiseSettledResult<T>[]): T[] {
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}
