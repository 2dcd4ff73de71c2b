import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident, keyMatch } from '../../adapters/postgres/sql.ts';
import { columnList, STAGE_COLUMN, type SilverSqlContext } from './silver-entity.ts';
import { isTombstoneSql, latestWriteSql } from './stage-batch.ts';

/** The parameter references a new version's system columns take their values from. */
interface VersionParameters {
  readonly batchTimestamp: string;
  readonly batchId: string;
  readonly callId: string;
}

/**
 * The insert of new versions, open and current from the batch timestamp, from the rows `source` (an alias) of
 * `from`: their model columns plus the system columns.
 */
function insertVersionsFrom(ctx: SilverSqlContext, source: string, parameters: VersionParameters, from: string): string {
  const names = ctx.plan.columns.map((spec) => spec.name);
  const values: readonly (readonly [string, string])[] = [
    [SILVER_COLUMN.valid_from, `${parameters.batchTimestamp}::timestamptz`],
    [SILVER_COLUMN.valid_to, 'null'],
    [SILVER_COLUMN.is_current, 'true'],
    [SILVER_COLUMN.is_deleted, 'false'],
    [SILVER_COLUMN.batch_id, `${parameters.batchId}::uuid`],
    [SILVER_COLUMN.call_id, `${parameters.callId}::text`],
    [SILVER_COLUMN.updated_batch_id, 'null'],
  ];
  return `insert into ${ctx.silver} (${columnList([...names, ...values.map(([name]) => name)])})
  select ${columnList(names, source)},
         ${values.map(([, value]) => value).join(',\n         ')}
    ${from}
  returning 1`;
}

/**
 * Opens a version, valid from the batch timestamp and current, for every staged key that has no open version
 * (any more): new keys, keys whose SCD2 values changed (closed by `updateVersionsSql`), and keys that come back
 * after a delete; never for a tombstone. Returns one row: `inserted`. Parameters: $1 batch_timestamp, $2 batch_id,
 * $3 call_id.
 */
export function insertVersionsSql(ctx: SilverSqlContext): string {
  const from = `from ${ctx.stage} as incoming
   where not incoming.${ident(STAGE_COLUMN.is_tombstone)}
     and not exists (
     select 1
       from ${ctx.silver} as existing
      where ${keyMatch(ctx.plan.key, 'existing', 'incoming')}
        and existing.${ident(SILVER_COLUMN.valid_to)} is null
   )`;
  return `
with inserted as (
  ${insertVersionsFrom(ctx, 'incoming', { batchTimestamp: '$1', batchId: '$2', callId: '$3' }, from)}
)
select count(*)::int as inserted
  from inserted`;
}

/** Whether the entity's silver table holds no row at all: the batch can then be loaded by `insertFirstVersionsSql`. */
export function isSilverEmptySql(ctx: SilverSqlContext): string {
  return `select not exists (select 1 from ${ctx.silver}) as empty`;
}

/**
 * The first load of an empty silver table, in one statement straight from bronze (no staging, nothing to compare
 * with): a version for every row of the batch's latest write that is not a tombstone. It is the general path's
 * outcome only when every row of the batch is a distinct key and none is a tombstone; the caller checks that and
 * otherwise rolls it back: a key held twice fails the silver table's unique open-version index (23505), and
 * `records_in` > `inserted` means tombstones were left out (with a rule only; without one every row is
 * inserted, so no second read counts them). Returns one row: `inserted`, `records_in`. Parameters: $1 batch_id,
 * $2 batch_timestamp, $3 call_id, and $4 the tombstone value when there is a rule.
 */
export function insertFirstVersionsSql(ctx: SilverSqlContext): string {
  const batch = latestWriteSql(ctx, 'incoming');
  const hasRule = ctx.plan.tombstone !== undefined;
  const from = hasRule ? `${batch.from}\n   and not ${isTombstoneSql(ctx, 'incoming', '$4')}` : batch.from;
  const recordsIn = hasRule ? `(select count(*)::int ${latestWriteSql(ctx, 'source').from})` : 'count(*)::int';
  return `
${batch.with},
inserted as (
  ${insertVersionsFrom(ctx, 'incoming', { batchTimestamp: '$2', batchId: '$1', callId: '$3' }, from)}
)
select count(*)::int as inserted,
       ${recordsIn} as records_in
  from inserted`;
}

/** The parameters of `insertFirstVersionsSql`. */
export function insertFirstVersionsValues(ctx: SilverSqlContext, batch: { readonly batch_id: string; readonly batch_timestamp: Date | string }, callId: string): unknown[] {
  const values = [batch.batch_id, batch.batch_timestamp, callId];
  return ctx.plan.tombstone === undefined ? values : [...values, ctx.plan.tombstone.equals];
}
