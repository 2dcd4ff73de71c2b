/**
 * What bronze adds to the end of its runs, in the transaction that ends them (`withEntityRun`'s `end`), so they
 * exist exactly together with the run's status: the check results, and the chained `silver` call.
 */
import type { Transaction } from '../../adapters/postgres/transaction.ts';
import type { CheckResult } from '../../core/dq-checks.ts';
import { layerEntitiesOf } from '../../metadata/entity-schema.ts';
import type { MetadataSet } from '../../metadata/metadata-set.ts';
import { recordCheckResults, type CheckOutcome } from '../../runs/check-results.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import type { EntityLayerRun } from '../../runs/run-types.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import type { ChainNext } from '../layer-run.ts';

/** Stores a run's check results (failed ones included) in the transaction that ends the run. */
export async function recordBronzeChecks(tx: Transaction, run: EntityLayerRun, checks: readonly CheckResult[], callId: string | undefined): Promise<void> {
  if (checks.length === 0) return;
  await recordCheckResults(
    tx,
    { batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, entity_id: run.entity_id, entity_layer_run_id: run.run_id, call_id: callId ?? null },
    checks.map(toOutcome),
  );
}

/**
 * Bronze's chain: opens the batch's silver layer (idempotent; the count silver itself uses) and writes the entity's
 * `silver` call to the outbox, after every outcome. A failed run's silver call records its run `skipped` (bronze
 * has not succeeded) and chains gold, so the batch's silver and gold layers still complete; a later successful
 * bronze run announces silver again, and silver then applies the batch. `forceNext` (a forced bronze rerun that
 * succeeded) is passed on: silver has applied this batch before when bronze had.
 */
export function chainSilver(metadata: Pick<MetadataSet, 'entities'>, callId: string | undefined): ChainNext {
  return async (tx, run, { forceNext }) => {
    await openSystemLayerRun(tx, {
      batch_id: run.batch_id,
      system_id: run.system_id,
      layer: 'silver',
      entities_expected: layerEntitiesOf(metadata, run.system_id).length,
      call_id: callId ?? null,
    });
    await announceCalls(tx, { batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, call_id: callId }, [
      { function: 'silver', payload: { batch_id: run.batch_id, system_id: run.system_id, entity_id: run.entity_id, force: forceNext } },
    ]);
    return {};
  };
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
