import { hashExpression } from '../../core/scd-plan.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import { columnList, type SilverSqlContext } from './silver-entity.ts';

/**
 * Stages one batch in a temp table, in one statement: the rows of the batch's latest bronze write (the
 * greatest `_dp_run_id`, so a forced bronze rerun replaces its earlier rows), one per key, with their hashes.
 * Duplicate keys keep the record with the greatest `latestBy` value (nulls lose), then the greatest
 * `_dp_position` (the last in the batch), then the greatest hashes (so even identical positions resolve the
 * same way on every replay). `_dp_copies` keeps how many records the key had, for `records_in`.
 * Parameters: $1 batch_id.
 */
export function stageBatchSql(ctx: SilverSqlContext): string {
  const { plan } = ctx;
  const names = plan.columns.map((spec) => spec.name);
  const source = (name: string): string => `source.${ident(name)}`;
  const order = [
    ...(plan.latestBy === undefined ? [] : [`batch_rows.${ident(plan.latestBy)} desc nulls last`]),
    'batch_rows."_dp_position" desc',
    'batch_rows."_dp_scd2_hash" desc',
    'batch_rows."_dp_scd1_hash" desc',
  ];
  const partition = columnList(plan.key, 'batch_rows');
  return `
create temp table ${ctx.stage} on commit drop as
with latest_write as (
  select latest."_dp_run_id"
    from ${ctx.bronze} as latest
   where latest."_dp_batch_id" = $1::uuid
   order by latest."_dp_run_id" desc
   limit 1
),
batch_rows as (
  select ${columnList(names, 'source')},
         source."_dp_position",
         ${hashExpression(plan.scd2, source)} as "_dp_scd2_hash",
         ${hashExpression(plan.scd1, source)} as "_dp_scd1_hash"
    from ${ctx.bronze} as source
    join latest_write
      on latest_write."_dp_run_id" = source."_dp_run_id"
   where source."_dp_batch_id" = $1::uuid
),
ranked as (
  select ${columnList(names, 'batch_rows')},
         batch_rows."_dp_scd2_hash",
         batch_rows."_dp_scd1_hash",
         row_number() over (partition by ${partition} order by ${order.join(', ')}) as "_dp_rank",
         count(*) over (partition by ${partition}) as "_dp_copies"
    from batch_rows
)
select ${columnList(names, 'ranked')},
       ranked."_dp_scd2_hash",
       ranked."_dp_scd1_hash",
       ranked."_dp_copies"
  from ranked
 where ranked."_dp_rank" = 1`;
}

/** Drops the staging table of an earlier batch of the same transaction (a replay stages batch after batch). */
export function dropStageSql(ctx: SilverSqlContext): string {
  return `drop table if exists pg_temp.${ctx.stage}`;
}

/** Counts the staged keys and the bronze records they came from. */
export function stageCountsSql(ctx: SilverSqlContext): string {
  return `
select count(*)::int as staged,
       coalesce(sum(incoming."_dp_copies"), 0)::int as records_in
  from ${ctx.stage} as incoming`;
}
