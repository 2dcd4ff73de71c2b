/**
 * The landing use case: one batch of one system, from its connector into the landing store, with its audit rows,
 * its cursor and the bronze calls it chains (docs/landing.md, "A landing run").
 */
import type { Pool } from '../../adapters/postgres/pool.ts';
import * as z from 'zod';
import type { LandingStore, LandingWriter } from '../../adapters/mongo/landing-store.ts';
import { withSessionLock } from '../../adapters/postgres/advisory-lock.ts';
import { withTransaction, type Transaction } from '../../adapters/postgres/transaction.ts';
import { InvalidPayloadError, isPlatformError, NotFoundError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { layerEntitiesOf, lookbackByLandingEntity, type BronzeSilverEntity } from '../../metadata/entity-schema.ts';
import type { LoadedMetadata, MetadataLoader } from '../../metadata/metadata-loader.ts';
import type { System } from '../../metadata/system-schema.ts';
import { cursorBefore } from '../../runs/cursors.ts';
import { newBatchId } from '../../runs/ids.ts';
import { earlierBatchTimestamp, unsucceededLandingRunIds } from '../../runs/landing-history.ts';
import { openSystemLayerRun } from '../../runs/layer-runs.ts';
import type { OutboxMessage } from '../../runs/outbox.ts';
import { RunNotRunningError } from '../../runs/run-errors.ts';
import type { SystemRun } from '../../runs/run-types.ts';
import { finishSystemRun, startSystemRun } from '../../runs/system-runs.ts';
import type { Outcome, Skipped } from '../../runtime/outcome.ts';
import { LandingRequest } from '../../runtime/payloads.ts';
import { announceCalls } from '../chaining/announce-calls.ts';
import { emitLayerFinishEvents } from '../chaining/emit-events.ts';
import type { Connector, ConnectorBatch, ConnectorRegistry, CursorUpdate, RecordsBatch } from './connector.ts';
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
  /** This call's `X-Call-Id`. */
  readonly callId: string | undefined;
  /** The function's timeout: a `running` landing of the same batch older than this is stale and taken over. */
  readonly timeoutSeconds: number;
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
  const { system, connector } = findConnector(metadata, request.system_id, deps.connectors);
  if (!system.enabled && !request.force) return { status: 'skipped', reason: 'system disabled', system_id: system.id };
  const batch = await identifyBatch(request, system.id, deps);
  const log = request.batch_id ? deps.log : deps.log.child({ batch_id: batch.batch_id });
  const start = await startSystemRun(deps.pool, {
    ...batch,
    system_id: system.id,
    call_id: deps.callId ?? null,
    parent_call_id: request.parent_call_id ?? null,
    force: request.force,
    timeout_seconds: deps.timeoutSeconds,
  });
  const facts = { system_id: system.id, batch_id: batch.batch_id, batch_timestamp: batch.batch_timestamp.toISOString(), run_id: start.run.run_id };
  if (!start.proceed) {
    log.info({ reason: start.reason, duplicate_of_run_id: start.duplicateOfRunId }, 'landing skipped');
    return { status: 'skipped', reason: start.reason, ...facts, duplicate_of_run_id: start.duplicateOfRunId };
  }

  const entities = layerEntitiesOf(metadata, system.id);
  const attempt: LandingAttempt = { request, deps, metadata, system, connector, entities, run: start.run, log, facts };
  if (!connector.exclusive) return landBatch(attempt);
  const locked = await withSessionLock(deps.pool, `dataplatform:landing:${system.id}`, () => landBatch(attempt));
  return locked.acquired ? locked.value : skipLanding(attempt, `another landing of ${system.id} is running`, 'landing skipped: another landing of the system runs');
}

/** One started landing of a batch, as the steps of `landSystem` share it. */
interface LandingAttempt {
  readonly request: LandSystemRequest;
  readonly deps: LandSystemDeps;
  readonly metadata: LoadedMetadata;
  readonly system: System;
  readonly connector: Connector;
  /** The system's bronze entities: what the batch is landed for, and chained to. */
  readonly entities: readonly BronzeSilverEntity[];
  readonly run: SystemRun;
  readonly log: Logger;
  /** What every answer about the landing says. */
  readonly facts: Readonly<Record<string, string>>;
}

/** The system the request names (404 when metadata does not know it) and the connector of its type (400 when this function has none). */
function findConnector(metadata: LoadedMetadata, systemId: string, connectors: ConnectorRegistry): { system: System; connector: Connector } {
  const system = metadata.systems.find((candidate) => candidate.id === systemId);
  if (!system) throw new NotFoundError(`unknown system "${systemId}"`);
  const connector: Connector | undefined = connectors[system.type];
  if (!connector) {
    const types = Object.keys(connectors).join(', ');
    throw new InvalidPayloadError(`system ${system.id} is a ${system.type} system; this function lands ${types} systems`);
  }
  return { system, connector };
}

/**
 * The batch to land: the payload's (a rerun of a batch keeps the timestamp of its first landing unless the payload
 * gives one), else a new batch at `now`.
 */
async function identifyBatch(request: LandSystemRequest, systemId: string, deps: LandSystemDeps): Promise<{ batch_id: string; batch_timestamp: Date }> {
  if (request.batch_timestamp) return { batch_id: request.batch_id ?? newBatchId(), batch_timestamp: new Date(request.batch_timestamp) };
  if (!request.batch_id) return { batch_id: newBatchId(), batch_timestamp: deps.now() };
  return { batch_id: request.batch_id, batch_timestamp: (await earlierBatchTimestamp(deps.pool, request.batch_id, systemId)) ?? deps.now() };
}

/** Lands the started batch: the source's records into the landing store, then `commitLanding`; any failure is recorded. */
async function landBatch(attempt: LandingAttempt): Promise<Outcome> {
  const { deps, run, log, facts } = attempt;
  const landingEntities = [...new Set(attempt.entities.map((entity) => entity.landing_entity))].sort();
  const entityRuns = new LandingEntityRuns(deps.pool, {
    batch_id: run.batch_id,
    system_id: run.system_id,
    call_id: run.call_id,
    parent_call_id: run.parent_call_id,
    timeout_seconds: deps.timeoutSeconds,
  });
  let writer: LandingWriter | undefined;
  try {
    const batch = await openSourceBatch(attempt, landingEntities);
    if (batch.kind === 'nothing_new') return await skipLanding(attempt, batch.reason, 'landing skipped: nothing new');
    await entityRuns.open(landingEntities);
    writer = deps.landing.openWriter({ system_id: run.system_id, batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, run_id: run.run_id, call_id: run.call_id });
    await landRecords(batch, writer, entityRuns);
    const counts = entityRuns.countsOf(writer.counts());
    const cursor = batch.nextCursor();
    const bronzeCalls = await withTransaction(deps.pool, (tx) => commitLanding(tx, attempt, entityRuns, counts, cursor));
    await removeFailedAttempts(deps, run, log);
    const encoded = writer.encodedCounts();
    log.info({ description: batch.description, counts, encoded, cursor: cursor?.position ?? null, bronze_calls: bronzeCalls.length }, 'landing succeeded');
    return { status: 'succeeded', ...facts, description: batch.description ?? null, counts, encoded, bronze_calls: bronzeCalls.length };
  } catch (error) {
    await writer?.settle();
    return recordFailure(error, attempt, entityRuns, entityRuns.countsOf(writer?.counts() ?? {}));
  }
}

/**
 * Asks the connector for the batch: from the cursor as it stood before this batch to the batch timestamp, unless
 * the payload gives a window; with the system's secrets resolved.
 */
async function openSourceBatch(attempt: LandingAttempt, landingEntities: readonly string[]): Promise<ConnectorBatch> {
  const { request, deps, run } = attempt;
  const system = await deps.metadata.loadSystem(run.system_id);
  const cursor = await cursorBefore(deps.pool, run.system_id, run.batch_timestamp);
  return attempt.connector.openBatch({
    system,
    batch_id: run.batch_id,
    batch_timestamp: run.batch_timestamp,
    landing_entities: landingEntities,
    lookback: lookbackByLandingEntity(attempt.entities),
    cursor,
    window: {
      start: request.window?.start ? new Date(request.window.start) : (cursor?.window_end ?? null),
      end: request.window?.end ? new Date(request.window.end) : run.batch_timestamp,
    },
    options: request.options,
    log: attempt.log,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
}

/**
 * Ends a landed batch in `tx`: the landing entity runs succeed with their counts (and events), the system run
 * succeeds with the connector's cursor, and the bronze layer opens with one `bronze` call per entity (outbox).
 */
async function commitLanding(
  tx: Transaction,
  attempt: LandingAttempt,
  entityRuns: LandingEntityRuns,
  counts: Readonly<Record<string, number>>,
  cursor: CursorUpdate | undefined,
): Promise<OutboxMessage[]> {
  const { deps, run, entities } = attempt;
  for (const finish of await entityRuns.finish(tx, { status: 'succeeded', counts })) {
    await emitLayerFinishEvents(tx, finish, attempt.metadata, { call_id: deps.callId });
  }
  await finishSystemRun(tx, run.run_id, { status: 'succeeded', cursors: cursor ? [cursor] : [] });
  await openSystemLayerRun(tx, { batch_id: run.batch_id, system_id: run.system_id, layer: 'bronze', entities_expected: entities.length, call_id: run.call_id });
  const origin = { batch_id: run.batch_id, batch_timestamp: run.batch_timestamp, call_id: deps.callId };
  const payloads = entities.map((entity) => ({ batch_id: run.batch_id, system_id: run.system_id, entity_id: entity.id, force: attempt.request.force }));
  return announceCalls(tx, origin, payloads.map((payload) => ({ function: 'bronze', payload })));
}

/** Ends the landing run `skipped`: nothing new at the source, or another landing of the system holds its lock. */
async function skipLanding(attempt: LandingAttempt, reason: string, message: string): Promise<Skipped> {
  await finishSystemRun(attempt.deps.pool, attempt.run.run_id, { status: 'skipped', skip_reason: reason });
  attempt.log.info({ reason }, message);
  return { status: 'skipped', reason, ...attempt.facts };
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

/**
 * Records a failed landing: the entity runs and the system run end `failed` with the error (the cursor stays),
 * and this run's records are removed. A run taken over as stale is left to the call that took it over.
 */
async function recordFailure(error: unknown, attempt: LandingAttempt, entityRuns: LandingEntityRuns, counts: Readonly<Record<string, number>>): Promise<Outcome> {
  const { deps, run, log } = attempt;
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof RunNotRunningError)) {
    try {
      await withTransaction(deps.pool, async (tx) => {
        for (const finish of await entityRuns.finish(tx, { status: 'failed', counts, error: message })) {
          await emitLayerFinishEvents(tx, finish, attempt.metadata, { call_id: deps.callId });
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
    log.error({ err: error, counts }, 'landing failed');
    throw error;
  }
  log.warn({ reason: message, counts }, 'landing failed');
  return { status: 'failed', error, ...attempt.facts, counts };
}
