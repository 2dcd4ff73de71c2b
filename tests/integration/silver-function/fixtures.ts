import type pg from 'pg';
import type * as z from 'zod';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import type { Layer } from '../../../shared/core/run-status.ts';
import { createLogger } from '../../../shared/log.ts';
import type { LoadedMetadata } from '../../../shared/metadata/metadata-loader.ts';
import { finishEntityRun, startEntityRun } from '../../../shared/runs/entity-runs.ts';
import { newBatchId } from '../../../shared/runs/ids.ts';
import { openSystemLayerRun } from '../../../shared/runs/layer-runs.ts';
import type { EntityLayerRun } from '../../../shared/runs/run-types.ts';
import { finishSystemRun, startSystemRun } from '../../../shared/runs/system-runs.ts';
import { defineFunction, type FunctionDefinition } from '../../../shared/runtime/define-function.ts';
import type { FunctionDeps } from '../../../shared/runtime/function-deps.ts';
import type { SilverEntity } from '../../../shared/layers/silver/silver-entity.ts';
import { serve, type RunningServer } from '../../../templates/dataplatform-node20/server.ts';
import { testMetadata } from '../runtime/test-metadata.ts';
import { writeBronze, type Row } from '../silver/fixtures.ts';
import { TEST_CALL_AUTH, TEST_CALL_TOKEN } from '../../fixtures/call-token.ts';

/** A landed batch: its id and timestamp (the landing's start). */
export interface Batch {
  readonly batch_id: string;
  readonly batch_timestamp: Date;
}

/** Records a succeeded landing of `systemId` that started at `at` (a new batch), as a connector would. */
export async function landBatch(pool: pg.Pool, systemId: string, at: Date): Promise<Batch> {
  const batch = { batch_id: newBatchId(), batch_timestamp: at };
  const start = await startSystemRun(pool, { ...batch, system_id: systemId, call_id: 'call-landing', timeout_seconds: 300 });
  if (!start.proceed) throw new Error('fixture: landing did not proceed');
  await finishSystemRun(pool, start.run.run_id, { status: 'succeeded' });
  return batch;
}

/**
 * Records a finished entity run of `layer` for a batch as that layer's function would (opening the layer run with
 * `expected` entities first), without its data: for the layers a test does not run itself.
 */
export async function recordEntityRun(
  pool: pg.Pool,
  run: { batch: Batch; system_id: string; layer: Layer; entity_id: string; expected: number },
  status: 'succeeded' | 'failed' | 'skipped',
  counts: Partial<Record<'records_in' | 'records_inserted' | 'records_updated' | 'records_deleted', number>> = {},
): Promise<EntityLayerRun> {
  const { batch, system_id, layer, entity_id } = run;
  await openSystemLayerRun(pool, { batch_id: batch.batch_id, system_id, layer, entities_expected: run.expected });
  const start = await startEntityRun(pool, { batch_id: batch.batch_id, system_id, layer, entity_id, call_id: `call-${layer}`, force: true, timeout_seconds: 60 });
  if (!start.proceed) throw new Error(`fixture: ${layer} run of ${entity_id} did not proceed`);
  const finish = await finishEntityRun(pool, start.run.run_id, { status, counts, ...(status === 'failed' ? { error: `${layer} failed (fixture)` } : {}) });
  return finish.run;
}

/** Writes a batch's rows to bronze and records the bronze run as succeeded, as the bronze function would. */
export async function loadBronze(pool: pg.Pool, entity: SilverEntity, systemId: string, batch: Batch, rows: readonly Row[], expected = 1): Promise<void> {
  await writeBronze(pool, entity, batch, rows);
  await recordEntityRun(pool, { batch, system_id: systemId, layer: 'bronze', entity_id: entity.id, expected }, 'succeeded', { records_in: rows.length, records_inserted: rows.length });
}

/** Metadata in memory with the given models (a deploy is not what these tests are about). */
export function metadataWith(records: Parameters<typeof testMetadata>[0], models: Readonly<Record<string, EntityModel>>): LoadedMetadata {
  return { ...testMetadata(records), models };
}

/** A function served through the template's server on a free port, and what it logged. */
export interface ServedFunction {
  readonly url: string;
  readonly logs: Array<Record<string, unknown>>;
  post(body: unknown, callId?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** Serves a function definition with injected deps, as the gateway's watchdog would run it. */
export async function serveFunction<Schema extends z.ZodType>(definition: FunctionDefinition<Schema>, deps: FunctionDeps): Promise<ServedFunction> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({ function: definition.name }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const server: RunningServer = await serve(defineFunction(definition, { deps }), { port: 0, ownsProcess: false, logger, callToken: TEST_CALL_TOKEN });
  return {
    url: server.url,
    logs,
    async post(body, callId) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...TEST_CALL_AUTH, ...(callId === undefined ? {} : { 'x-call-id': callId }) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    close: () => server.close(),
  };
}

/** The entity-layer runs of an entity in a layer, oldest first. */
export async function runsOf(pool: pg.Pool, layer: Layer, entityId: string): Promise<EntityLayerRun[]> {
  const result = await pool.query<EntityLayerRun>(
    'select * from audit.entity_layer_run where layer = $1 and entity_id = $2 order by started_at, run_id',
    [layer, entityId],
  );
  return result.rows;
}

/** The outbox messages of a batch to one function, oldest first, as (target, payload). */
export async function outboxTo(pool: pg.Pool, batchId: string, target: string): Promise<Array<Record<string, unknown>>> {
  const result = await pool.query<{ payload: Record<string, unknown> }>(
    'select payload from audit.outbox where batch_id = $1 and target_function = $2 order by created_at, id',
    [batchId, target],
  );
  return result.rows.map((row) => row.payload);
}

/** The counts columns of an audit row, for exact comparison. */
export function countsOf(run: EntityLayerRun): Record<string, number> {
  return {
    records_in: run.records_in,
    records_inserted: run.records_inserted,
    records_updated: run.records_updated,
    records_deleted: run.records_deleted,
    records_unchanged: run.records_unchanged,
  };
}
