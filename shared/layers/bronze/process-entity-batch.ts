/**
 * The bronze use case: one entity of one landed batch, from landing records to `bronze.<table>`, with its checks
 * and audit rows (docs/bronze.md).
 */
import type { Pool } from '../../adapters/postgres/pool.ts';
import type { LandingStore } from '../../adapters/mongo/landing-store.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import { DataRejectedError, NotFoundError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { layerEntitiesOf } from '../../metadata/entity-schema.ts';
import { previousRowCount } from '../../runs/entity-run-history.ts';
import { findSucceededLanding } from '../../runs/landing-history.ts';
import type { RecordCounts } from '../../runs/run-types.ts';
import type { Failed, Outcome } from '../../runtime/outcome.ts';
import type { BronzeRequest } from '../../runtime/payloads.ts';
import { withEntityRun, type LayerRunDeps, type LayerWork, type StartedLayerRun } from '../layer-run.ts';
import { resolveBronzeEntity } from './bronze-entity.ts';
import type { BronzeRowCounts } from './bronze-rows.ts';
import { chainSilver, recordBronzeChecks } from './finish-bronze-run.ts';
import { loadBronzeBatch, type BronzeLoad } from './load-bronze-batch.ts';
import { describeFailedChecks } from './rejection-message.ts';

/** What processing needs from outside: the layer run's deps, where landing is read from, and a memory bound. */
export interface BronzeDeps extends LayerRunDeps {
  readonly landing: Pick<LandingStore, 'readRun'>;
  /** Keys the uniqueness check holds in memory before counting in the table; default `BRONZE_MAX_TRACKED_KEYS`. */
  readonly maxTrackedKeys?: number;
}

/** Thrown inside the data transaction to roll it back when the checks reject the batch. */
class BatchRejected extends Error {
  constructor(readonly load: BronzeLoad) {
    super('batch rejected by its checks');
  }
}

/**
 * Processes one entity of a landed batch: starts the bronze run (an earlier success or a run in progress answers
 * `skipped` with the reason; `force` reprocesses a success), streams the batch's landing records through the
 * entity's processor, coercion and checks into `bronze.<table>` with COPY, in one transaction that also finishes
 * the run, announces `silver` and emits the events. When an error-severity check fails, the rows are rolled back,
 * and the checks and a `failed` run naming them are recorded (`DataRejectedError`, 422). Any other failure is
 * recorded as well, and the batch leaves no rows behind.
 *
 * @example
 * const outcome = await processEntityBatch({ batch_id, system_id: 'TST01', entity_id: 'test_customer', force: false }, deps);
 */
export async function processEntityBatch(request: BronzeRequest, deps: BronzeDeps): Promise<Outcome> {
  const { pool } = deps;
  const bronze = resolveBronzeEntity(deps.metadata, request.system_id, request.entity_id);
  if (!bronze.entity.enabled) return { status: 'skipped', reason: 'entity disabled' };
  const landing = await findSucceededLanding(pool, request.batch_id, request.system_id);
  if (!landing) throw new NotFoundError(`batch ${request.batch_id} of system ${request.system_id} has no succeeded landing to read`);

  const work: LayerWork = {
    layer: 'bronze',
    batchId: request.batch_id,
    systemId: request.system_id,
    entityId: request.entity_id,
    entitiesExpected: layerEntitiesOf(deps.metadata, request.system_id).length,
    parentCallId: request.parent_call_id,
    force: request.force,
  };
  const { callId } = deps;
  return withEntityRun(work, deps, {
    chainNext: chainSilver(deps.metadata, callId),
    process: async (started) => {
      const { run, log } = started;
      const previous = await previousRowCount(pool, request.entity_id, run);
      const source = deps.landing.readRun({
        system_id: request.system_id,
        landing_entity: bronze.entity.landing_entity,
        batch_id: request.batch_id,
        run_id: landing.run_id,
      });
      const write = { batch_id: run.batch_id, batch_timestamp: landing.batch_timestamp, call_id: callId ?? run.run_id, run_number: run.attempt };
      let load: BronzeLoad;
      try {
        load = await withTransaction(pool, async (tx) => {
          const loaded = await loadBronzeBatch(tx, bronze, source, write, {
            previous_row_count: previous,
            ...(deps.maxTrackedKeys === undefined ? {} : { max_tracked_keys: deps.maxTrackedKeys }),
          });
          if (loaded.rejected) throw new BatchRejected(loaded);
          await recordBronzeChecks(tx, run, loaded.checks, callId);
          await started.end(tx, { status: 'succeeded', counts: recordCounts(loaded.counts, loaded.rows_deleted, true) }, { forceNext: request.force });
          return loaded;
        });
      } catch (error) {
        if (error instanceof BatchRejected) return recordRejection(error.load, started, pool, callId);
        throw error;
      }
      reportUnmapped(log, load.counts);
      log.info({ ...recordCounts(load.counts, load.rows_deleted, true), table_changed: load.table_changed }, 'bronze entity loaded');
      return { status: 'succeeded', run_id: run.run_id, counts: recordCounts(load.counts, load.rows_deleted, true), unmapped_fields: load.counts.unmapped_fields };
    },
  });
}

/** Ends a run whose batch its checks rejected (its rows rolled back) `failed`, naming the checks, with their results. */
async function recordRejection(load: BronzeLoad, started: StartedLayerRun, pool: Pool, callId: string | undefined): Promise<Failed> {
  const { run, log } = started;
  const rejection = new DataRejectedError(describeFailedChecks(run.entity_id, load.checks));
  const counts = recordCounts(load.counts, 0, false);
  reportUnmapped(log, load.counts);
  await withTransaction(pool, async (tx) => {
    await recordBronzeChecks(tx, run, load.checks, callId);
    await started.end(tx, { status: 'failed', counts, error: rejection.message });
  });
  log.warn({ ...counts, reason: rejection.message }, 'bronze entity rejected by its checks');
  const failed_checks = load.checks.filter((check) => !check.passed && check.severity === 'error').map((check) => check.check);
  return { status: 'failed', error: rejection, run_id: run.run_id, counts, failed_checks, unmapped_fields: load.counts.unmapped_fields };
}

/** The audit counts: landing records in, rows written (none when rolled back), rows rejected, rows replaced. */
function recordCounts(counts: BronzeRowCounts, rowsDeleted: number, committed: boolean): Partial<RecordCounts> {
  return {
    records_in: counts.records_in,
    records_inserted: committed ? counts.rows_written : 0,
    records_rejected: counts.rows_rejected,
    records_deleted: committed ? rowsDeleted : 0,
  };
}

function reportUnmapped(log: Logger, counts: BronzeRowCounts): void {
  const fields = Object.keys(counts.unmapped_fields);
  if (fields.length > 0) log.warn({ unmapped_fields: counts.unmapped_fields }, 'source fields that no model column reads');
}
