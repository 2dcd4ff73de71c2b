/**
 * Everything the audit schema knows about one batch: every landing attempt, each layer's run, every entity run (each
 * attempt, each call) and the data-quality results. What the dashboard's lineage view shows.
 */
import { query, type Db } from '../adapters/postgres/transaction.ts';
import { readCheckResults, type CheckResult } from './check-results.ts';
import type { EntityLayerRun, SystemLayerRun, SystemRun } from './run-types.ts';

/** One batch from landing to gold. Lists are in the order work happened (layers as data flows). */
export interface BatchLineage {
  /** Every landing call of the batch, skipped duplicates included (they are calls too), oldest first. */
  readonly landings: SystemRun[];
  readonly layers: SystemLayerRun[];
  /** Every entity run, by layer, entity and start. */
  readonly entity_runs: EntityLayerRun[];
  readonly checks: CheckResult[];
}

const LAYER_ORDER = `array_position(array['landing', 'bronze', 'silver', 'gold'], layer)`;

/** Reads one batch's lineage; a batch the audit does not know has no landings. */
export async function readBatchLineage(db: Db, batchId: string): Promise<BatchLineage> {
  const [landings, layers, entityRuns, checks] = await Promise.all([
    query<SystemRun>(db, 'read landings of batch', `select * from audit.system_run where batch_id = $1 order by started_at, run_id`, [batchId]),
    query<SystemLayerRun>(
      db,
      'read layer runs of batch',
      `select * from audit.system_layer_run where batch_id = $1 order by ${LAYER_ORDER}, started_at`,
      [batchId],
    ),
    query<EntityLayerRun>(
      db,
      'read entity runs of batch',
      `select * from audit.entity_layer_run where batch_id = $1 order by ${LAYER_ORDER}, entity_id, started_at, run_id`,
      [batchId],
    ),
    readCheckResults(db, batchId),
  ]);
  return { landings: landings.rows, layers: layers.rows, entity_runs: entityRuns.rows, checks };
}
