/**
 * The shape every entity layer's use case shares (bronze, silver, gold): open the batch's layer run, start the
 * entity's run (skip/force/stale, decided under the work's advisory lock), do the layer's work, and end the run
 * with the next layer's calls and the platform events in one transaction. A failure ends the same way. Each layer
 * brings only its work and what it chains (docs/runtime.md, "A layer run").
 */
import type * as z from 'zod';
import type { Pool } from '../adapters/postgres/pool.ts';
import { withTransaction, type Transaction } from '../adapters/postgres/transaction.ts';
import type { Layer } from '../core/run-status.ts';
import { isPlatformError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ValidatedMetadata } from '../metadata/metadata-set.ts';
import { finishEntityRun, startEntityRun } from '../runs/entity-runs.ts';
import { openSystemLayerRun } from '../runs/layer-runs.ts';
import { RunNotRunningError } from '../runs/run-errors.ts';
import type { EntityLayerRun, FinishEntityRunInput } from '../runs/run-types.ts';
import type { FunctionCall, FunctionDefinition } from '../runtime/define-function.ts';
import type { Outcome, OutcomeFacts, Skipped } from '../runtime/outcome.ts';
import { emitLayerFinishEvents } from './chaining/emit-events.ts';

/** The layers that process one entity of a batch per call. */
export type EntityLayer = Exclude<Layer, 'landing'>;

/** The metadata a layer run reads: systems, entities and their models, and the actions its events may call. */
export type LayerMetadata = Pick<ValidatedMetadata, 'systems' | 'entities' | 'models' | 'actions'>;

/** What every layer run takes from its call; a layer's own deps extend these. */
export interface LayerRunDeps {
  readonly pool: Pool;
  readonly metadata: LayerMetadata;
  readonly log: Logger;
  /** This call's `X-Call-Id`; stored on the audit rows and on the rows the run writes. */
  readonly callId: string | undefined;
  /** The function's timeout: a `running` run of the same work older than this is stale and taken over. */
  readonly timeoutSeconds: number;
}

/** The work a call asks of a layer: one entity of one batch. */
export interface LayerWork {
  readonly layer: EntityLayer;
  readonly batchId: string;
  readonly systemId: string;
  readonly entityId: string;
  /** How many entities the batch's layer run waits for, should this call be the one that opens it. */
  readonly entitiesExpected: number;
  readonly parentCallId: string | undefined;
  /** Reprocess work that already succeeded. */
  readonly force: boolean;
  /** Facts every answer about the run carries besides its own (gold: the batch it ran under). */
  readonly facts?: OutcomeFacts;
}

/**
 * What a layer writes in the transaction that ends one of its runs, after the audit row and before the events:
 * bronze announces silver, silver announces gold. `forceNext` asks the next layer to redo a batch it has done.
 * Returns facts for the answer (silver: `gold_calls`).
 */
export type ChainNext = (tx: Transaction, run: EntityLayerRun, options: { readonly forceNext: boolean }) => Promise<OutcomeFacts>;

/** A started run, as the layer's work sees it. */
export interface StartedLayerRun {
  readonly run: EntityLayerRun;
  /** The call's logger with the run id bound. */
  readonly log: Logger;
  /**
   * Ends the run in `tx`, the transaction that wrote its data: the audit row with its status and counts, the next
   * layer's calls, the events. Returns the chain's facts.
   */
  end(tx: Transaction, end: FinishEntityRunInput, options?: { readonly forceNext?: boolean }): Promise<OutcomeFacts>;
  /** Ends the run `skipped` (nothing to do after all) in a transaction of its own, chaining and emitting as `end`. */
  skip(reason: string): Promise<Skipped>;
}

/** What a layer brings to the skeleton: its work on a started run, and what it chains when a run ends. */
export interface LayerSteps {
  readonly chainNext?: ChainNext;
  process(started: StartedLayerRun): Promise<Outcome>;
}

/**
 * Runs one entity of a batch through a layer:
 * 1. opens the batch's layer run (idempotent: the layer before opens it when it chains this one, with the same
 *    number of entities), so a manual call works too;
 * 2. starts the entity run: already succeeded (unless `force`) or running and not stale → answered `skipped`;
 * 3. runs the layer's `process`; whatever it throws ends the run `failed` with the error message, chained and
 *    with its events like any end. A platform error is answered `failed` with its status; anything else is a bug
 *    and is thrown on (answered 500). A run taken over as stale (`RunNotRunningError`) is left to the call that
 *    took it over: the error is thrown on and nothing is recorded.
 *
 * @example
 * return withEntityRun(work, deps, {
 *   chainNext: (tx, run, { forceNext }) => announceNext(tx, run, forceNext),
 *   process: async (started) => {
 *     const counts = await withTransaction(deps.pool, async (tx) => {
 *       const written = await writeRows(tx, started.run);
 *       await started.end(tx, { status: 'succeeded', counts: written });
 *       return written;
 *     });
 *     return { status: 'succeeded', run_id: started.run.run_id, counts };
 *   },
 * });
 */
export async function withEntityRun(work: LayerWork, deps: LayerRunDeps, steps: LayerSteps): Promise<Outcome> {
  const { pool } = deps;
  const callId = deps.callId ?? null;
  await openSystemLayerRun(pool, {
    batch_id: work.batchId,
    system_id: work.systemId,
    layer: work.layer,
    entities_expected: work.entitiesExpected,
    call_id: callId,
  });
  const start = await startEntityRun(pool, {
    batch_id: work.batchId,
    system_id: work.systemId,
    layer: work.layer,
    entity_id: work.entityId,
    call_id: callId,
    parent_call_id: work.parentCallId ?? null,
    force: work.force,
    timeout_seconds: deps.timeoutSeconds,
  });
  const { run } = start;
  const skipped = { status: 'skipped', run_id: run.run_id, ...work.facts } as const;
  if (!start.proceed) {
    deps.log.info({ run_id: run.run_id, reason: start.reason, duplicate_of_run_id: start.duplicateOfRunId }, `${work.layer} entity skipped`);
    return { ...skipped, reason: start.reason, duplicate_of_run_id: start.duplicateOfRunId };
  }

  const log = deps.log.child({ run_id: run.run_id });
  const end: StartedLayerRun['end'] = async (tx, ending, options = {}) => {
    const finish = await finishEntityRun(tx, run.run_id, ending);
    const chained = (await steps.chainNext?.(tx, finish.run, { forceNext: options.forceNext ?? false })) ?? {};
    await emitLayerFinishEvents(tx, finish, deps.metadata, { call_id: deps.callId });
    return chained;
  };
  const skip = async (reason: string): Promise<Skipped> => {
    const chained = await withTransaction(pool, (tx) => end(tx, { status: 'skipped', skip_reason: reason }));
    log.info({ reason }, `${work.layer} entity skipped`);
    return { ...skipped, reason, ...chained };
  };
  try {
    return await steps.process({ run, log, end, skip });
  } catch (error) {
    if (error instanceof RunNotRunningError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    try {
      await withTransaction(pool, (tx) => end(tx, { status: 'failed', error: message }));
    } catch (recordError) {
      // The database is gone or the run was taken over meanwhile: the stale-run rule recovers it later.
      log.error({ err: recordError }, `${work.layer} failure could not be recorded`);
    }
    if (!isPlatformError(error)) throw error;
    return { status: 'failed', error, run_id: run.run_id, ...work.facts };
  }
}

/**
 * A layer's function definition: the function is named for its layer, and its work gets the layer-run deps of the
 * call (the process's pool and metadata, the call's logger and id, the function's timeout) plus the call itself
 * for anything more.
 *
 * @example
 * export const gold = defineLayerFunction('gold', GoldRequest, GOLD_TIMEOUT_SECONDS, processGoldRequest);
 */
export function defineLayerFunction<Schema extends z.ZodType>(
  layer: EntityLayer,
  request: Schema,
  timeoutSeconds: number,
  run: (request: z.output<Schema>, deps: LayerRunDeps, call: FunctionCall) => Promise<Outcome>,
): FunctionDefinition<Schema> {
  return {
    name: layer,
    layer,
    request,
    run: async (payload, call) =>
      run(payload, { pool: await call.deps.pool(), metadata: await call.deps.metadata(), log: call.log, callId: call.callId, timeoutSeconds }, call),
  };
}
