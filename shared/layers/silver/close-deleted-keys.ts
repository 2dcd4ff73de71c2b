import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident, keyMatch } from '../../adapters/postgres/sql.ts';
import { STAGE_COLUMN, type LoadType, type SilverSqlContext } from './silver-entity.ts';

/**
 * Closes the open version of every deleted key, at the batch timestamp, and flags it deleted: in a full load the
 * keys the batch does not hold, in any load the keys whose staged record is a tombstone. The version stays the
 * key's current row (the latest thing silver knows about the key), so a key has exactly one current row even
 * while deleted; no row is open for it until it comes back. `undefined` when the load can delete nothing (a
 * delta without a tombstone rule). Returns one row: `deleted`, and `tombstoned` (those closed by a tombstone).
 * Parameters: $1 batch_timestamp, $2 batch_id.
 */
export function closeDeletedKeysSql(ctx: SilverSqlContext, loadType: LoadType): string | undefined {
  const staged = (condition: string): string =>
    `exists (select 1 from ${ctx.stage} as incoming where ${keyMatch(ctx.plan.key, 'incoming', 'existing')}${condition})`;
  const tombstoned = staged(` and incoming.${ident(STAGE_COLUMN.is_tombstone)}`);
  const reasons = [...(loadType === 'full' ? [`not ${staged('')}`] : []), ...(ctx.plan.tombstone ? [tombstoned] : [])];
  if (reasons.length === 0) return undefined;
  const validTo = ident(SILVER_COLUMN.valid_to);
  return `
with closed as (
  update ${ctx.silver} as existing
     set ${validTo} = $1::timestamptz,
         ${ident(SILVER_COLUMN.is_deleted)} = true,
         ${ident(SILVER_COLUMN.updated_batch_id)} = $2::uuid
   where existing.${validTo} is null
     and (${reasons.join('\n          or ')})
  returning ${ctx.plan.tombstone ? tombstoned : 'false'} as is_tombstoned
)
select count(*)::int as deleted,
       count(*) filter (where closed.is_tombstoned)::int as tombstoned
  from closed`;
}
