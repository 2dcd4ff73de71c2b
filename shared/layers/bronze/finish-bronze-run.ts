/**
 * How a bronze run ends in the audit schema: check results, the run's status and counts, the chained `silver`
 * call, and the platform events, all in one transaction, so they exist exactly together.
 */
import type { Transaction } from '../../adapters/postgres/transaction.ts';
import type { CheckResult } from '../../core/dq-checks.ts';
import { layerEntitiesOf } from '../../metadata/entity-schema.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { recordCheckResults, type CheckOutcome } from '../../runs/check-results.ts';
import { finishEntityRun, type EntityRunFinish } from '../../runs/entity-runs.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import type { EntityLayerRun, RecordCounts } from '../../runs/run-types.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import { emitLayerFinishEvents } from '../chaining/emit-events.ts';

/** The run being finished and where it came from. */
export interface BronzeRunContext {
  readonly run: EntityLayerRun;
  readonly metadata: Pick<MetadataSet, 'systems' | 'entities' | 'actions'>;
  /** This call's `X-Call-Id`. */
  readonly call_id: string | undefined;
  /** The request's `force`, passed on to silver: silver has applied this batch before when bronze did. */
  readonly force: boolean;
}

/** How the run ends: its counts, the checks (when they ran), and the error text of a failure. */
export interface BronzeRunEnd {
  readonly counts: Partial<RecordCounts>;
  readonly checks?: readonly CheckResult[];
  readonly error?: string;
}

/**
 * Ends a successful run in the transaction that wrote its rows: stores the check results, marks the run
 * `succeeded` with its counts, announces the entity's `silver` call (outbox), and emits `entity-layer-processed`
 * (plus `system-layer-processed` when this was the layer's last entity).
 */
export async function finishBronzeSucceeded(tx: Transaction, context: BronzeRunContext, end: BronzeRunEnd): Promise<EntityRunFinish> {
  await recordChecks(tx, context, end.checks);
  const finish = await finishEntityRun(tx, context.run.run_id, { status: 'succeeded', counts: end.counts });
  await announceSilver(tx, context, context.force);
  await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: context.call_id });
  return finish;
}

/**
 * Ends a failed run after its data was rolled back: stores the check results (failed ones included), marks the
 * run `failed` with the error and counts, and emits its events. Silver is announced all the same: it records its
 * run `skipped` (bronze has not succeeded) and chains gold, so the batch's silver and gold layers still complete.
 * A later successful bronze run announces silver again, and silver then applies the batch.
 */
export async function finishBronzeFailed(tx: Transaction, context: BronzeRunContext, end: BronzeRunEnd): Promise<EntityRunFinish> {
  await recordChecks(tx, context, end.checks);
  const finish = await finishEntityRun(tx, context.run.run_id, { status: 'failed', counts: end.counts, error: end.error ?? 'bronze failed' });
  await announceSilver(tx, context, false);
  await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: context.call_id });
  return finish;
}

/**
 * Opens the batch's silver layer (idempotent; the count silver itself uses) and writes the entity's `silver`
 * call to the outbox, in the caller's transaction. `force` passes a forced rerun on: silver has applied this
 * batch before when bronze had.
 */
async function announceSilver(tx: Transaction, context: BronzeRunContext, force: boolean): Promise<void> {
  const { run } = context;
  await openSystemLayerRun(tx, {
    batch_id: run.batch_id,
    system_id: run.system_id,
    layer: 'silver',
    entities_expected: layerEntitiesOf(context.metadata, run.system_id).length,
    call_id: context.call_id ?? null,
  });
  await announceCalls(tx, { batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, call_id: context.call_id }, [
    { function: 'silver', payload: { batch_id: run.batch_id, system_id: run.system_id, entity_id: run.entity_id, force } },
  ]);
}

async function recordChecks(tx: Transaction, context: BronzeRunContext, checks: readonly CheckResult[] | undefined): Promise<void> {
  if (checks === undefined || checks.length === 0) return;
  const { run } = context;
  await recordCheckResults(
    tx,
    { batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, entity_id: run.entity_id, entity_layer_run_id: run.run_id, call_id: context.call_id ?? null },
    checks.map(toOutcome),
  );
}

function toOutcome(check: CheckResult): CheckOutcome {
  return {
    check_name: check.check,
    observed: check.observed,
    expected: check.expected,
    passed: check.passed,
    details: { severity: check.severity, ...(check.column === undefined ? {} : { column: check.column }), ...check.details },
  };
}
