/**
 * The landing use case: one batch of one system, from its connector into the landing store, with its audit rows,
 * its cursor and the bronze calls it chains (docs/landing.md, "A landing run").
 */
import type { Pool } from '../../adapters/postgres/pool.ts';
import * as z from 'zod';
import type { LandingStore, LandingWriter } from '../../adapters/mongo/landing-store.ts';
import { withSessionLock } from '../../adapters/postgres/advisory-lock.ts';
import { withTransaction } from '../../adapters/postgres/transaction.ts';
import type { JsonValue } from '../../core/json.ts';
import { InvalidPayloadError, isPlatformError, NotFoundError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { layerEntitiesOf, lookbackByLandingEntity } from '../../metadata/entity-schema.ts';
import type { LoadedMetadata, MetadataLoader } from '../../metadata/metadata-loader.ts';
import { newBatchId } from '../../runs/ids.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import { RunNotRunningError } from '../../runs/run-errors.ts';
import type { SystemRun } from '../../runs/run-types.ts';
import { finishSystemRun, startSystemRun } from '../../runs/system-runs.ts';
import type { Outcome } from '../../runtime/outcome.ts';
import { LandingRequest } from '../../runtime/payloads.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import { emitLayerFinishEvents } from '../chaining/emit-events.ts';
import type { BatchWindow, Connector, ConnectorRegistry, RecordsBatch, ResolvedSystem } from './connector.ts';
import { cursorBefore } from '../../runs/cursors.ts';
import { earlierBatchTimestamp, unsucceededLandingRunIds } from '../../runs/landing-history.ts';
import { LandingEntityRuns } from './landing-entity-runs.ts';

/**
 * A connector function's payload: the platform's landing request, plus connector-specific `options`
 * (`{"batch": "batch-0003"}` for jsonfile), which the connector parses itself.
 */
export const LandSystemRequest = LandingRequest.extend({
  options: z.record(z.string(), z.json()).default({}),
});
export type LandSystemRequest = z.output<typeof LandSystemRequest>;

/** What a landing needs; the function wires these from its process deps, tests from test services. */
export interface LandSystemDeps {
  readonly pool: Pool;
  readonly landing: LandingStore;
  readonly metadata: Pick<MetadataLoader, 'load' | 'loadSystem'>;
  /** The connectors this function can run, by system type. */
  readonly connectors: ConnectorRegistry;
  readonly log: Logger;
  readonly call_id: string | undefined;
  /** The function's timeout: a `running` landing of the same batch older than this is stale and taken over. */
  readonly timeout_seconds: number;
  readonly now: () => Date;
  readonly signal?: AbortSignal;
}

/**
 * Lands one batch of one system. Starts the landing run (already succeeded or running → `skipped`; `force`
 * re-lands a success; a stale run is taken over), asks the connector for the batch (from the cursor as it stood
 * before this batch, to the batch timestamp, unless the payload gives a window), streams its records into the
 * landing store under this run's id, and counts them per landing entity. On success, one transaction finishes the
 * landing entity runs and the system run, records the connector's cursor, opens the bronze layer for the
 * system's entities and announces one `bronze` call per entity (outbox); records of earlier failed attempts are
 * then removed. On failure the run ends `failed` with the error, the cursor stays, and this run's records are
 * removed: bronze reads only the records of a succeeded run, so a half batch is never mistaken for a whole one.
 * An `exclusive` connector's landings of one system take turns on a PostgreSQL advisory lock held from the cursor
 * read to the cursor write: a call that finds another landing of the system running is recorded `skipped`.
 *
 * @example
 * const outcome = await landSystem({ system_id: 'TST01', force: false, options: {} }, deps);
 */
export async function landSystem(request: LandSystemRequest, deps: LandSystemDeps): Promise<Outcome> {
  const metadata = await deps.metadata.load();
  const declared = metadata.systems.find((system) => system.id === request.system_id);
  if (!declared) throw new NotFoundError(`unknown system "${request.system_id}"`);
  const connector = deps.connectors[declared.type] as Connector | undefined;
  if (!connector) {
    const types = Object.keys(deps.connectors).join(', ');
    throw new InvalidPayloadError(`system ${declared.id} is a ${declared.type} system; this function lands ${types} systems`);
  }
  if (!declared.enabled && !request.force) return { status: 'skipped', reason: 'system disabled', system_id: declared.id };

  const entities = layerEntitiesOf(metadata, declared.id);
  const landingEntities = [...new Set(entities.map((entity) => entity.landing_entity))].sort();
  const batch_id = request.batch_id ?? newBatchId();
  const batch_timestamp = request.batch_timestamp
    ? new Date(request.batch_timestamp)
    : ((request.batch_id ? await earlierBatchTimestamp(deps.pool, request.batch_id, declared.id) : undefined) ?? deps.now());
  const log = request.batch_id ? deps.log : deps.log.child({ batch_id });
  const call_id = deps.call_id ?? null;

  const start = await startSystemRun(deps.pool, {
    batch_id,
    batch_timestamp,
    system_id: declared.id,
    call_id,
    parent_call_id: request.parent_call_id ?? null,
    force: request.force,
    timeout_seconds: deps.timeout_seconds,
  });
  const facts = { system_id: declared.id, batch_id, batch_timestamp: batch_timestamp.toISOString(), run_id: start.run.run_id };
  if (!start.proceed) {
    log.info({ reason: start.reason, duplicate_of_run_id: start.duplicateOfRunId }, 'landing skipped');
    return { status: 'skipped', reason: start.reason, ...facts, duplicate_of_run_id: start.duplicateOfRunId };
  }

  const run = start.run;
  const land = async (): Promise<Outcome> => {
    const entityRuns = new LandingEntityRuns(deps.pool, {
      batch_id,
      system_id: declared.id,
      call_id,
      parent_call_id: request.parent_call_id ?? null,
      timeout_seconds: deps.timeout_seconds,
    });
    let writer: LandingWriter | undefined;
    try {
      const system = await deps.metadata.loadSystem(declared.id);
      const cursor = await cursorBefore(deps.pool, declared.id, batch_timestamp);
      const window: BatchWindow = {
        start: request.window?.start ? new Date(request.window.start) : (cursor?.window_end ?? null),
        end: request.window?.end ? new Date(request.window.end) : batch_timestamp,
      };
      const batch = await connector.openBatch({
        system: system as ResolvedSystem,
        batch_id,
        batch_timestamp,
        landing_entities: landingEntities,
        lookback: lookbackByLandingEntity(entities),
        cursor,
        window,
        options: request.options as Record<string, JsonValue>,
        log,
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      if (batch.kind === 'nothing_new') {
        await finishSystemRun(deps.pool, run.run_id, { status: 'skipped', skip_reason: batch.reason });
        log.info({ reason: batch.reason }, 'landing skipped: nothing new');
        return { status: 'skipped', reason: batch.reason, ...facts };
      }
      await entityRuns.open(landingEntities);
      writer = deps.landing.openWriter({ system_id: declared.id, batch_id, batch_timestamp, run_id: run.run_id, call_id });
      await landRecords(batch, writer, entityRuns);
      const counts = entityRuns.countsOf(writer.counts());
      const cursorUpdate = batch.nextCursor();
      const bronzeCalls = await withTransaction(deps.pool, async (tx) => {
        for (const finish of await entityRuns.finish(tx, { status: 'succeeded', counts })) {
          await emitLayerFinishEvents(tx, finish, metadata, { call_id: deps.call_id });
        }
        await finishSystemRun(tx, run.run_id, { status: 'succeeded', cursors: cursorUpdate ? [cursorUpdate] : [] });
        await openSystemLayerRun(tx, { batch_id, system_id: declared.id, layer: 'bronze', entities_expected: entities.length, call_id });
        const origin = { batch_id, batch_timestamp, call_id: deps.call_id };
        const payloads = entities.map((entity) => ({ batch_id, system_id: declared.id, entity_id: entity.id, force: request.force }));
        return announceCalls(tx, origin, payloads.map((payload) => ({ function: 'bronze', payload })));
      });
      await removeFailedAttempts(deps, run, log);
      const encoded = writer.encodedCounts();
      log.info({ description: batch.description, counts, encoded, cursor: cursorUpdate?.position ?? null, bronze_calls: bronzeCalls.length }, 'landing succeeded');
      return { status: 'succeeded', ...facts, description: batch.description ?? null, counts, encoded, bronze_calls: bronzeCalls.length };
    } catch (error) {
      return recordFailure(error, { deps, run, entityRuns, counts: entityRuns.countsOf(writer?.counts() ?? {}), log, facts, metadata });
    }
  };
  if (!connector.exclusive) return land();
  const locked = await withSessionLock(deps.pool, `dataplatform:landing:${declared.id}`, land);
  if (locked.acquired) return locked.value;
  const reason = `another landing of ${declared.id} is running`;
  await finishSystemRun(deps.pool, run.run_id, { status: 'skipped', skip_reason: reason });
  log.info({ reason }, 'landing skipped: another landing of the system runs');
  return { status: 'skipped', reason, ...facts };
}

async function landRecords(batch: RecordsBatch, writer: LandingWriter, entityRuns: LandingEntityRuns): Promise<void> {
  for await (const item of batch.records) {
    await entityRuns.ensure(item.landing_entity);
    await writer.append(item.landing_entity, item.record);
  }
  await writer.flush();
}

/**
 * Removes records of this batch's attempts that did not succeed; earlier successes stay (bronze may be reading one).
 * One equality-filtered delete per such attempt: FerretDB filters `$nin` in its own process, which reads the whole
 * batch back (minutes for a million records), so "everything but the succeeded runs" is not asked for.
 */
async function removeFailedAttempts(deps: LandSystemDeps, run: SystemRun, log: Logger): Promise<void> {
  try {
    let removed = 0;
    for (const run_id of await unsucceededLandingRunIds(deps.pool, run)) {
      removed += await deps.landing.removeRun({ system_id: run.system_id, batch_id: run.batch_id, run_id });
    }
    if (removed > 0) log.info({ removed }, 'records of failed landing attempts removed');
  } catch (error) {
    // Harmless when it fails: those records belong to no succeeded run, so nothing reads them.
    log.warn({ err: error }, 'records of failed landing attempts not removed');
  }
}

interface FailureContext {
  readonly deps: LandSystemDeps;
  readonly run: SystemRun;
  readonly entityRuns: LandingEntityRuns;
  readonly counts: Readonly<Record<string, number>>;
  readonly log: Logger;
  readonly facts: Readonly<Record<string, string>>;
  readonly metadata: LoadedMetadata;
}

/**
 * Records a failed landing: the entity runs and the system run end `failed` with the error (the cursor stays),
 * and this run's records are removed. A run taken over as stale is left to the call that took it over.
 */
async function recordFailure(error: unknown, context: FailureContext): Promise<Outcome> {
  const { deps, run, log } = context;
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof RunNotRunningError)) {
    try {
      await withTransaction(deps.pool, async (tx) => {
        for (const finish of await context.entityRuns.finish(tx, { status: 'failed', counts: context.counts, error: message })) {
          await emitLayerFinishEvents(tx, finish, context.metadata, { call_id: deps.call_id });
        }
        await finishSystemRun(tx, run.run_id, { status: 'failed', error: message });
      });
    } catch (recordError) {
      // The database is gone or the run was taken over meanwhile: the stale-run rule recovers it later.
      log.error({ err: recordError }, 'landing failure could not be recorded');
    }
  }
  try {
    await deps.landing.removeRun({ system_id: run.system_id, batch_id: run.batch_id, run_id: run.run_id });
  } catch (removeError) {
    log.warn({ err: removeError }, 'records of the failed landing not removed');
  }
  if (error instanceof RunNotRunningError || !isPlatformError(error)) {
    log.error({ err: error, counts: context.counts }, 'landing failed');
    throw error;
  }
  log.warn({ reason: message, counts: context.counts }, 'landing failed');
  return { status: 'failed', error, ...context.facts, counts: context.counts };
}
