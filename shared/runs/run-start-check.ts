import { decideRunStart, staleTakeOverError, type PriorRun, type StartDecision } from '../core/run-start.ts';
import type { RunStatus } from '../core/run-status.ts';
import { query, type Transaction } from '../adapters/postgres/transaction.ts';
import { lockForTransaction } from '../adapters/postgres/advisory-lock.ts';

/** The run tables whose rows are started and finished by calls (one row per attempt). */
export type RunTable = 'system_run' | 'entity_layer_run';

/** The same work: batch and system for landing, batch, layer and entity for the other layers. */
export interface WorkKey {
  readonly table: RunTable;
  /** A readable key, hashed into the advisory lock that serialises starts of this work. */
  readonly lockKey: string;
  /** Column = value pairs that select this work's rows. */
  readonly columns: Readonly<Record<string, string>>;
}

/** The verdict for a start, the database time it was made at, and the attempts before it. */
export interface StartCheck {
  readonly decision: StartDecision;
  readonly now: Date;
}

interface PriorRow {
  readonly run_id: string;
  readonly status: RunStatus;
  readonly started_at: Date;
}

/**
 * Takes the work's advisory lock for the rest of the transaction, then reads the work's earlier runs and decides.
 * The lock makes concurrent starts of the same work take turns, and each reads after the previous one
 * committed; the unique index on running rows backs it up. Time is the database's, so calls on machines with
 * different clocks agree on staleness.
 */
export async function checkRunStart(
  tx: Transaction,
  work: WorkKey,
  options: { force: boolean; timeoutSeconds: number },
): Promise<StartCheck> {
  await lockForTransaction(tx, `lock ${work.table} work`, work.lockKey);
  const clock = await query<{ now: Date }>(tx, 'read database clock', 'select clock_timestamp() as now');
  const now = clock.rows[0]?.now ?? new Date();
  const names = Object.keys(work.columns);
  const where = names.map((name, index) => `${name} = $${index + 1}`).join(' and ');
  const prior = await query<PriorRow>(
    tx,
    `read earlier ${work.table} rows`,
    `select run_id, status, started_at
       from audit.${work.table}
      where ${where}
        and duplicate_of_run_id is null
      order by started_at desc, run_id desc`,
    Object.values(work.columns),
  );
  const latestWith = (status: RunStatus): PriorRun | undefined => prior.rows.find((row) => row.status === status);
  const decision = decideRunStart({
    running: latestWith('running'),
    succeeded: latestWith('succeeded'),
    previousAttempts: prior.rows.length,
    force: options.force,
    timeoutSeconds: options.timeoutSeconds,
    now,
  });
  return { decision, now };
}

/** Marks a stale run failed, naming the run that takes its work over (before that run's row is inserted). */
export async function markTakenOver(
  tx: Transaction,
  table: RunTable,
  staleRunId: string,
  newRunId: string,
  now: Date,
): Promise<void> {
  await query(
    tx,
    `mark stale ${table} row`,
    `update audit.${table}
        set status = 'failed',
            error = $2,
            finished_at = $3
      where run_id = $1
        and status = 'running'`,
    [staleRunId, staleTakeOverError(newRunId), now],
  );
}
