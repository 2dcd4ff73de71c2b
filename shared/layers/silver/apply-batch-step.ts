import { hasSqlState, SQLSTATE } from '../../adapters/postgres/errors.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import { closeDeletedKeysSql } from './close-deleted-keys.ts';
import { insertFirstVersionsSql, insertFirstVersionsValues, insertVersionsSql, isSilverEmptySql } from './insert-versions.ts';
import type { BatchRef, LoadType, SilverCounts, SilverSqlContext } from './silver-entity.ts';
import { dropStageSql, removeDuplicatesSql, stageBatchSql, stageBatchValues, stageKeySql } from './stage-batch.ts';
import { updateVersionsSql } from './update-versions.ts';

/** What one batch did to silver, and how many of its records lost to a later one of the same key. */
export interface BatchStepResult {
  readonly counts: SilverCounts;
  readonly duplicates: number;
}

/** The savepoint of an attempt that may be undone (`attemptInSavepoint`). */
const ATTEMPT_SAVEPOINT = ident('_dp_silver_attempt');

function first<T>(rows: readonly T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`silver: ${what} returned no row`);
  return row;
}

/**
 * Runs `attempt` in a savepoint and keeps its work unless it fails with a unique violation or returns
 * `undefined`: then its work is rolled back, the caller's transaction goes on, and the answer is `undefined`.
 */
async function attemptInSavepoint<T>(tx: Transaction, action: (what: string) => string, attempt: () => Promise<T | undefined>): Promise<T | undefined> {
  await query(tx, action('mark savepoint'), `savepoint ${ATTEMPT_SAVEPOINT}`);
  let outcome: T | undefined;
  try {
    outcome = await attempt();
  } catch (error) {
    if (!hasSqlState(error, SQLSTATE.UNIQUE_VIOLATION)) throw error;
  }
  if (outcome === undefined) await query(tx, action('back to savepoint'), `rollback to savepoint ${ATTEMPT_SAVEPOINT}`);
  await query(tx, action('release savepoint'), `release savepoint ${ATTEMPT_SAVEPOINT}`);
  return outcome;
}

/**
 * Runs `work` with nested-loop joins off, then puts the transaction-local setting back. For a full load's close of
 * absent keys, which visits every open version whatever the plan: on a silver table without statistics (loaded
 * moments before, not yet analysed by autovacuum) the planner takes `_dp_valid_to is null` for 0.5 % of the rows
 * and probes the staged-key index once per open version; at 300,000 open versions that took 3.3 s against 0.8 s
 * for the merge anti join it picks with statistics (docs/silver.md, "Performance").
 */
async function withoutNestedLoops<T>(tx: Transaction, action: (what: string) => string, work: () => Promise<T>): Promise<T> {
  const setting = await query<{ previous: string }>(
    tx,
    action('turn nested loops off'),
    `select current_setting('enable_nestloop') as previous, set_config('enable_nestloop', 'off', true)`,
  );
  // No finally: after a failure the transaction is rolled back, and the setting with it.
  const result = await work();
  await query(tx, action('put nested loops back'), `select set_config('enable_nestloop', $1, true)`, [first(setting.rows, 'reading enable_nestloop').previous]);
  return result;
}

/**
 * Indexes the staged key, removing duplicate keys first when the index finds some; returns how many records were
 * removed. The first attempt runs in a savepoint, so its unique violation does not abort the caller's transaction.
 */
async function keyStage(tx: Transaction, ctx: SilverSqlContext, action: (what: string) => string): Promise<number> {
  const indexed = await attemptInSavepoint(tx, action, async () => {
    await query(tx, action('index staged keys'), stageKeySql(ctx));
    return true;
  });
  if (indexed !== undefined) return 0;
  const removed = await query(tx, action('remove duplicate keys'), removeDuplicatesSql(ctx));
  await query(tx, action('index staged keys'), stageKeySql(ctx));
  return removed.rowCount ?? 0;
}

/**
 * The first batch of an empty silver table, loaded straight from bronze in one statement (`insertFirstVersionsSql`):
 * nothing to compare with, so no staging. Kept only when the batch is what that statement assumes, every row a
 * distinct key and none a tombstone; otherwise undone (`undefined`), and the general path applies the batch.
 */
async function loadFirstBatch(
  tx: Transaction,
  ctx: SilverSqlContext,
  step: { readonly batch: BatchRef; readonly callId: string },
  action: (what: string) => string,
): Promise<BatchStepResult | undefined> {
  const empty = first((await query<{ empty: boolean }>(tx, action('look for silver rows'), isSilverEmptySql(ctx))).rows, 'looking for silver rows');
  if (!empty.empty) return undefined;
  return attemptInSavepoint(tx, action, async () => {
    const values = insertFirstVersionsValues(ctx, step.batch, step.callId);
    const loaded = first((await query<{ inserted: number; records_in: number }>(tx, action('insert first versions'), insertFirstVersionsSql(ctx), values)).rows, 'inserting first versions');
    if (loaded.inserted !== loaded.records_in) return undefined;
    const counts = { records_in: loaded.records_in, records_inserted: loaded.inserted, records_updated: 0, records_deleted: 0, records_unchanged: 0 };
    return { counts, duplicates: 0 };
  });
}

/**
 * Applies one batch on top of silver, set-based. An empty silver table (a first load, or the first batch of a
 * replay) takes one insert straight from bronze when it can (`loadFirstBatch`). Otherwise: stage the batch (one
 * statement), index its keys (removing duplicates only when there are some), then one statement per step: update
 * existing versions (SCD1 overwrite, close changed), close deleted keys (absent from a full load, or with a
 * tombstone), insert new versions. The caller holds the entity lock and has checked that the batch is newer than
 * silver.
 */
export async function applyBatchStep(
  tx: Transaction,
  ctx: SilverSqlContext,
  step: { readonly loadType: LoadType; readonly batch: BatchRef; readonly callId: string; readonly entityId: string },
): Promise<BatchStepResult> {
  const { batch_id, batch_timestamp } = step.batch;
  const action = (what: string): string => `${what} (silver ${step.entityId}, batch ${batch_id})`;
  const firstLoad = await loadFirstBatch(tx, ctx, step, action);
  if (firstLoad !== undefined) return firstLoad;

  await query(tx, action('drop earlier staging'), dropStageSql(ctx));
  const recordsIn = (await query(tx, action('stage batch'), stageBatchSql(ctx), stageBatchValues(ctx, batch_id))).rowCount ?? 0;
  const duplicates = await keyStage(tx, ctx, action);
  const staged = recordsIn - duplicates;

  const updated = first(
    (await query<{ updated: number; scd1_only: number }>(tx, action('update versions'), updateVersionsSql(ctx), [batch_timestamp, batch_id])).rows,
    'updating versions',
  );
  const closeSql = closeDeletedKeysSql(ctx, step.loadType);
  let closed = { deleted: 0, tombstoned: 0 };
  if (closeSql !== undefined) {
    const close = async () => first((await query<typeof closed>(tx, action('close deleted keys'), closeSql, [batch_timestamp, batch_id])).rows, 'closing deleted keys');
    closed = step.loadType === 'full' ? await withoutNestedLoops(tx, action, close) : await close();
  }
  const inserted = first(
    (await query<{ inserted: number }>(tx, action('insert versions'), insertVersionsSql(ctx), [batch_timestamp, batch_id, step.callId])).rows,
    'inserting versions',
  ).inserted;

  return {
    counts: {
      records_in: recordsIn,
      records_inserted: inserted,
      records_updated: updated.updated,
      records_deleted: closed.deleted,
      records_unchanged: staged - inserted - updated.scd1_only - closed.tombstoned,
    },
    duplicates,
  };
}
