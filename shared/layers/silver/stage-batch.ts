import { ident } from '../../adapters/postgres/sql.ts';
import { BRONZE_COLUMN } from '../../core/table-layout.ts';
import { sqlType } from '../tables/table-ddl.ts';
import { columnList, STAGE_COLUMN, STAGE_TABLE, type SilverSqlContext } from './silver-entity.ts';

const RUN_ID = ident(BRONZE_COLUMN.run_id);
const BATCH_ID = ident(BRONZE_COLUMN.batch_id);

/**
 * The rows of a batch's latest bronze write, as `alias`: a `with` clause finding the greatest `_dp_run_id` of the
 * batch, and the `from … where` reading its rows through the bronze table's (batch, run) index. A forced bronze
 * rerun appends the batch again under a new run id, so it replaces its earlier rows. Parameter: $1 batch_id.
 * Shared by the staging statement and the first load of an empty silver table (`insertFirstVersionsSql`).
 */
export function latestWriteSql(ctx: SilverSqlContext, alias: string): { readonly with: string; readonly from: string } {
  return {
    with: `with latest_write as (
  select latest.${RUN_ID}
    from ${ctx.bronze} as latest
   where latest.${BATCH_ID} = $1::uuid
   order by latest.${RUN_ID} desc
   limit 1
)`,
    from: `from ${ctx.bronze} as ${alias}
  join latest_write
    on latest_write.${RUN_ID} = ${alias}.${RUN_ID}
 where ${alias}.${BATCH_ID} = $1::uuid`,
  };
}

/**
 * Whether a bronze row (as `alias`) is a tombstone: its tombstone column equals the rule's value (the parameter
 * `value`, compared as the column's type), never null; `false` without a rule.
 */
export function isTombstoneSql(ctx: SilverSqlContext, alias: string, value: string): string {
  const { tombstone } = ctx.plan;
  return tombstone === undefined ? 'false' : `coalesce(${alias}.${ident(tombstone.column)} = ${value}::${sqlType(tombstone.type)}, false)`;
}

/**
 * Stages one batch in a temp table, in one statement: every bronze row of the batch's latest write
 * (`latestWriteSql`). No sort here: duplicates are found by `stageKeySql` and, only when there are some, removed
 * by `removeDuplicatesSql`. Each staged row says whether it is a tombstone (`_dp_is_tombstone`), so the later
 * steps need not know the rule. The statement's row count is `records_in`. Parameters (`stageBatchValues`):
 * $1 batch_id, $2 the tombstone value when there is a rule.
 */
export function stageBatchSql(ctx: SilverSqlContext): string {
  const names = ctx.plan.columns.map((spec) => spec.name);
  const batch = latestWriteSql(ctx, 'source');
  return `
create temp table ${ctx.stage} on commit drop as
${batch.with}
select ${columnList(names, 'source')},
       source.${ident(BRONZE_COLUMN.position)} as ${ident(STAGE_COLUMN.position)},
       source.${ident(BRONZE_COLUMN.record_id)} as ${ident(STAGE_COLUMN.record_id)},
       ${isTombstoneSql(ctx, 'source', '$2')} as ${ident(STAGE_COLUMN.is_tombstone)}
  ${batch.from}`;
}

/** The parameters of `stageBatchSql`. */
export function stageBatchValues(ctx: SilverSqlContext, batchId: string): unknown[] {
  return ctx.plan.tombstone === undefined ? [batchId] : [batchId, ctx.plan.tombstone.equals];
}

/**
 * A unique index on the staged key. Building it sorts only (key, row) pairs, so it is the cheapest duplicate
 * check there is: it fails with a unique violation exactly when the batch holds a key twice. Once built, it tells
 * the planner the staged keys are distinct (no `analyze` needed) and serves small batches' lookups.
 */
export function stageKeySql(ctx: SilverSqlContext): string {
  return `create unique index ${ident(`${STAGE_TABLE}_key`)} on ${ctx.stage} (${columnList(ctx.plan.key)})`;
}

/**
 * Keeps one staged record per key, deleting the others: the greatest `latestBy` value wins when the entity names
 * one (nulls lose), then the greatest `_dp_position` (the last in the batch), then the greatest `_dp_record_id`.
 * Runs only for batches that hold a key twice. Its row count is the number of duplicates removed.
 */
export function removeDuplicatesSql(ctx: SilverSqlContext): string {
  const { plan } = ctx;
  const order = [
    ...(plan.latestBy === undefined ? [] : [`candidate.${ident(plan.latestBy)} desc nulls last`]),
    `candidate.${ident(STAGE_COLUMN.position)} desc`,
    `candidate.${ident(STAGE_COLUMN.record_id)} desc`,
  ];
  return `
delete from ${ctx.stage} as loser
 using (
   select candidate.ctid as row_id,
          row_number() over (partition by ${columnList(plan.key, 'candidate')} order by ${order.join(', ')}) as rank
     from ${ctx.stage} as candidate
 ) as ranked
 where loser.ctid = ranked.row_id
   and ranked.rank > 1`;
}

/** Drops the staging table of an earlier batch of the same transaction (a replay stages batch after batch). */
export function dropStageSql(ctx: SilverSqlContext): string {
  return `drop table if exists pg_temp.${ctx.stage}`;
}
