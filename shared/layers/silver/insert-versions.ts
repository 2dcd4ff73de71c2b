import { hashExpression } from '../../core/scd-plan.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import { columnList, keyMatch, type SilverSqlContext } from './silver-entity.ts';

const incoming = (name: string): string => `incoming.${ident(name)}`;

/**
 * Opens a version, valid from the batch timestamp and current, for every staged key that has no open version
 * (any more): new keys, keys whose SCD2 values changed (closed by `updateVersionsSql`), and keys that come back
 * after a delete; never for a tombstone. The versions' hashes are computed here, for the rows written only. Returns one row:
 * `inserted`. Parameters: $1 batch_timestamp, $2 batch_id, $3 call_id.
 */
export function insertVersionsSql(ctx: SilverSqlContext): string {
  const names = ctx.plan.columns.map((spec) => spec.name);
  const system = [
    '_dp_valid_from',
    '_dp_valid_to',
    '_dp_is_current',
    '_dp_is_deleted',
    '_dp_scd2_hash',
    '_dp_scd1_hash',
    '_dp_batch_id',
    '_dp_call_id',
    '_dp_updated_batch_id',
  ];
  return `
with inserted as (
  insert into ${ctx.silver} (${columnList([...names, ...system])})
  select ${columnList(names, 'incoming')},
         $1::timestamptz,
         null,
         true,
         false,
         ${hashExpression(ctx.plan.scd2, incoming)},
         ${hashExpression(ctx.plan.scd1, incoming)},
         $2::uuid,
         $3::text,
         null
    from ${ctx.stage} as incoming
   where not incoming."_dp_is_tombstone"
     and not exists (
     select 1
       from ${ctx.silver} as existing
      where ${keyMatch(ctx.plan, 'existing', 'incoming')}
        and existing."_dp_valid_to" is null
   )
  returning 1
)
select count(*)::int as inserted
  from inserted`;
}
