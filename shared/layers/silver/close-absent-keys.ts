import { keyMatch, type SilverSqlContext } from './silver-entity.ts';

/**
 * Full loads only: closes the open version of every key the batch does not hold, at the batch timestamp, and
 * flags it deleted. It stays the key's current row (the latest thing silver knows about the key), so a key has
 * exactly one current row even while deleted; no row is open for it until it comes back.
 * Returns one row: `deleted`. Parameters: $1 batch_timestamp, $2 batch_id.
 */
export function closeAbsentKeysSql(ctx: SilverSqlContext): string {
  return `
with closed as (
  update ${ctx.silver} as existing
     set "_dp_valid_to" = $1::timestamptz,
         "_dp_is_deleted" = true,
         "_dp_updated_batch_id" = $2::uuid
   where existing."_dp_valid_to" is null
     and not exists (
       select 1
         from ${ctx.stage} as incoming
        where ${keyMatch(ctx.plan, 'incoming', 'existing')}
     )
  returning 1
)
select count(*)::int as deleted
  from closed`;
}
