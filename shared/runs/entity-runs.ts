import { NotFoundError } from '../errors.ts';
import { inTransaction, query, type Db } from '../adapters/postgres/transaction.ts';
import { newRunId } from './ids.ts';
import { insertAuditRow } from './insert-audit-row.ts';
import { findSystemLayerRun } from './layer-runs.ts';
import { lockSystemLayerRun, recountSystemLayerRun, recountSystemRun } from './rollup.ts';
import { RunNotRunningError, parseRunInput } from './run-errors.ts';
import { checkRunStart, markTakenOver } from './run-start-check.ts';
import type { RunStart } from './run-start-result.ts';
import {
  FinishEntityRunInput,
  RecordCounts,
  StartEntityRunInput,
  clipError,
  type EntityLayerRun,
  type SystemLayerRun,
  type SystemRun,
} from './run-types.ts';

/**
 * Starts a layer's work on one entity of a batch (`batch_id`, `layer`, `entity_id`), in the system layer run
 * opened for it. Already succeeded, or running and not stale → a `skipped` row and `proceed: false`; `force`
 * reprocesses a success; a stale `running` row is marked failed and taken over. Concurrent starts of the same
 * work take turns on an advisory lock, so exactly one proceeds. Commit before the work, so others see it running.
 */
export async function startEntityRun(db: Db, input: StartEntityRunInput): Promise<RunStart<EntityLayerRun>> {
  const request = parseRunInput(StartEntityRunInput, input, 'start entity run');
  return inTransaction(db, async (tx) => {
    const layerRun = await findSystemLayerRun(tx, request.batch_id, request.system_id, request.layer);
    if (!layerRun) {
      throw new NotFoundError(
        `batch ${request.batch_id} of system ${request.system_id} has no ${request.layer} layer run; open it first`,
      );
    }
    const { decision, now } = await checkRunStart(
      tx,
      {
        table: 'entity_layer_run',
        lockKey: `dataplatform:entity_layer_run:${request.batch_id}:${request.layer}:${request.entity_id}`,
        columns: { batch_id: request.batch_id, layer: request.layer, entity_id: request.entity_id },
      },
      { force: request.force, timeoutSeconds: request.timeout_seconds },
    );
    const runId = newRunId();
    const common = {
      run_id: runId,
      batch_id: layerRun.batch_id,
      batch_timestamp: layerRun.batch_timestamp,
      system_id: layerRun.system_id,
      layer: request.layer,
      entity_id: request.entity_id,
      system_layer_run_id: layerRun.run_id,
      system_run_id: layerRun.system_run_id,
      call_id: request.call_id ?? null,
      parent_call_id: request.parent_call_id ?? null,
      force: request.force,
      timeout_seconds: request.timeout_seconds,
      started_at: now,
    };
    if (decision.action === 'skip') {
      const skipped = await insertAuditRow<EntityLayerRun>(tx, 'record skipped entity run', 'entity_layer_run', {
        ...common,
        status: 'skipped',
        attempt: 1,
        took_over_run_id: null,
        duplicate_of_run_id: decision.duplicateOfRunId,
        skip_reason: decision.reason,
        finished_at: now,
      });
      return { proceed: false, run: skipped as EntityLayerRun, reason: decision.reason, duplicateOfRunId: decision.duplicateOfRunId };
    }
    const takeOver = decision.takeOverRunId ?? null;
    if (takeOver) await markTakenOver(tx, 'entity_layer_run', takeOver, runId, now);
    const started = await insertAuditRow<EntityLayerRun>(tx, 'start entity run', 'entity_layer_run', {
      ...common,
      status: 'running',
      attempt: decision.attempt,
      took_over_run_id: takeOver,
      duplicate_of_run_id: null,
      skip_reason: null,
      finished_at: null,
    });
    return { proceed: true, run: started as EntityLayerRun, tookOverRunId: takeOver };
  });
}

/** An entity-layer run's end, with its layer's and system's counts after it. */
export interface EntityRunFinish {
  readonly run: EntityLayerRun;
  readonly layerRun: SystemLayerRun;
  readonly systemRun: SystemRun;
  /**
   * True for exactly one call per system layer run: the one whose finish gave every expected entity an outcome.
   * That call emits `system-layer-processed`.
   */
  readonly isLastEntity: boolean;
}

/**
 * Ends an entity-layer run with its status, row counts and error, and recounts its layer and system in the same
 * transaction (pass the transaction that wrote the data, so data and audit commit together). A run that is no
 * longer `running` (taken over as stale) is refused with `RunNotRunningError`, which rolls that transaction back.
 */
export async function finishEntityRun(db: Db, runId: string, input: FinishEntityRunInput): Promise<EntityRunFinish> {
  const request = parseRunInput(FinishEntityRunInput, input, 'finish entity run');
  const counts = RecordCounts.parse(request.counts);
  return inTransaction(db, async (tx) => {
    const parents = await query<{ system_layer_run_id: string; system_run_id: string }>(
      tx,
      'read entity run parents',
      'select system_layer_run_id, system_run_id from audit.entity_layer_run where run_id = $1',
      [runId],
    );
    const parent = parents.rows[0];
    if (!parent) throw new NotFoundError(`entity run ${runId} does not exist`);
    const layerBefore = await lockSystemLayerRun(tx, parent.system_layer_run_id);
    const finished = await query<EntityLayerRun>(
      tx,
      'finish entity run',
      `update audit.entity_layer_run
          set status = $2,
              error = $3,
              skip_reason = $4,
              finished_at = clock_timestamp(),
              records_in = $5,
              records_inserted = $6,
              records_updated = $7,
              records_deleted = $8,
              records_rejected = $9,
              records_unchanged = $10
        where run_id = $1
          and status = 'running'
        returning *`,
      [
        runId, request.status, clipError(request.error), request.skip_reason ?? null, counts.records_in,
        counts.records_inserted, counts.records_updated, counts.records_deleted, counts.records_rejected,
        counts.records_unchanged,
      ],
    );
    const run = finished.rows[0];
    if (!run) {
      const current = await query<EntityLayerRun>(tx, 'read entity run', 'select * from audit.entity_layer_run where run_id = $1', [runId]);
      const existing = current.rows[0] as EntityLayerRun;
      throw new RunNotRunningError(runId, existing.status, existing.error);
    }
    const { layerRun, isLastEntity } = await recountSystemLayerRun(tx, layerBefore);
    const systemRun = await recountSystemRun(tx, parent.system_run_id);
    return { run, layerRun, systemRun, isLastEntity };
  });
}
