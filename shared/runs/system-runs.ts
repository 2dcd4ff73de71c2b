import { NotFoundError } from '../errors.ts';
import { inTransaction, query, type Db } from '../adapters/postgres/transaction.ts';
import { checkRunStart, markTakenOver } from './run-start-check.ts';
import type { RunStart } from './run-start-result.ts';
import { RunNotRunningError, parseRunInput } from './run-errors.ts';
import { newRunId } from './ids.ts';
import { insertAuditRow } from './insert-audit-row.ts';
import { advanceCursor } from './cursors.ts';
import {
  FinishSystemRunInput,
  StartSystemRunInput,
  clipError,
  type SystemRun,
} from './run-types.ts';

/**
 * Starts the landing of a batch of a system (`batch_id`, `system_id`). If that landing already succeeded, or
 * runs and is not stale, the call is recorded `skipped` and told not to proceed; `force` reprocesses a success.
 * A stale `running` landing is marked failed and taken over. Concurrent starts of the same batch take turns on
 * an advisory lock, so exactly one proceeds. Commit before the work starts, so others see it running.
 */
export async function startSystemRun(db: Db, input: StartSystemRunInput): Promise<RunStart<SystemRun>> {
  const request = parseRunInput(StartSystemRunInput, input, 'start system run');
  return inTransaction(db, async (tx) => {
    const { decision, now } = await checkRunStart(
      tx,
      {
        table: 'system_run',
        lockKey: `dataplatform:system_run:${request.batch_id}:${request.system_id}`,
        columns: { batch_id: request.batch_id, system_id: request.system_id },
      },
      { force: request.force, timeoutSeconds: request.timeout_seconds },
    );
    const runId = newRunId();
    const common = {
      run_id: runId,
      batch_id: request.batch_id,
      batch_timestamp: request.batch_timestamp,
      system_id: request.system_id,
      call_id: request.call_id ?? null,
      parent_call_id: request.parent_call_id ?? null,
      force: request.force,
      timeout_seconds: request.timeout_seconds,
      started_at: now,
    };
    if (decision.action === 'skip') {
      const skipped = await insertAuditRow<SystemRun>(tx, 'record skipped system run', 'system_run', {
        ...common,
        status: 'skipped',
        attempt: 1,
        took_over_run_id: null,
        duplicate_of_run_id: decision.duplicateOfRunId,
        skip_reason: decision.reason,
        finished_at: now,
      });
      return { proceed: false, run: skipped as SystemRun, reason: decision.reason, duplicateOfRunId: decision.duplicateOfRunId };
    }
    const takeOver = decision.takeOverRunId ?? null;
    if (takeOver) await markTakenOver(tx, 'system_run', takeOver, runId, now);
    const started = await insertAuditRow<SystemRun>(tx, 'start system run', 'system_run', {
      ...common,
      status: 'running',
      attempt: decision.attempt,
      took_over_run_id: takeOver,
      duplicate_of_run_id: null,
      skip_reason: null,
      finished_at: null,
    });
    return { proceed: true, run: started as SystemRun, tookOverRunId: takeOver };
  });
}

/**
 * Ends a landing with its status and error. When it succeeded, the delta windows it fetched are recorded in the
 * same transaction, so a cursor moves exactly when the landing is recorded successful. A run that is no longer
 * `running` (taken over as stale) is refused with `RunNotRunningError`, rolling back the caller's transaction.
 */
export async function finishSystemRun(db: Db, runId: string, input: FinishSystemRunInput): Promise<SystemRun> {
  const request = parseRunInput(FinishSystemRunInput, input, 'finish system run');
  return inTransaction(db, async (tx) => {
    const finished = await query<SystemRun>(
      tx,
      'finish system run',
      `update audit.system_run
          set status = $2,
              error = $3,
              skip_reason = $4,
              finished_at = clock_timestamp()
        where run_id = $1
          and status = 'running'
        returning *`,
      [runId, request.status, clipError(request.error), request.skip_reason ?? null],
    );
    const run = finished.rows[0];
    if (!run) {
      const current = await query<SystemRun>(tx, 'read system run', 'select * from audit.system_run where run_id = $1', [runId]);
      const existing = current.rows[0];
      if (!existing) throw new NotFoundError(`system run ${runId} does not exist`);
      throw new RunNotRunningError(runId, existing.status, existing.error);
    }
    if (run.status === 'succeeded') {
      for (const window of request.cursors) {
        await advanceCursor(tx, { system_id: run.system_id, batch_id: run.batch_id, ...window });
      }
    }
    return run;
  });
}
