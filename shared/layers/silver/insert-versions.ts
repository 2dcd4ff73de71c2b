import { hashExpression } from '../../core/scd-plan.ts';
import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident, keyMatch } from '../../adapters/postgres/sql.ts';
import { columnList, STAGE_COLUMN, type SilverSqlContext } from './silver-entity.ts';

const incoming = (name: string): string => `incoming.${ident(name)}`;

/**
 * Opens a version, valid from the batch timestamp and current, for every staged key that has no open version
 * (any more): new keys, keys whose SCD2 values changed (closed by `updateVersionsSql`), and keys that come back
 * after a delete; never for a tombstone. The versions' hashes are computed here, for the rows written only. Returns one row:
 * `inserted`. Parameters: $1 batch_timestamp, $2 batch_id, $3 call_id.
 */
export function insertVersionsSql(ctx: SilverSqlContext): string {
  const names = ctx.plan.columns.map((spec) => spec.name);
  const values: readonly (readonly [string, string])[] = [
    [SILVER_COLUMN.valid_from, '$1::timestamptz'],
    [SILVER_COLUMN.valid_to, 'null'],
    [SILVER_COLUMN.is_current, 'true'],
    [SILVER_COLUMN.is_deleted, 'false'],
    [SILVER_COLUMN.scd2_hash, hashExpression(ctx.plan.scd2, incoming)],
    [SILVER_COLUMN.scd1_hash, hashExpression(ctx.plan.scd1, incoming)],
    [SILVER_COLUMN.batch_id, '$2::uuid'],
    [SILVER_COLUMN.call_id, '$3::text'],
    [SILVER_COLUMN.updated_batch_id, 'null'],
  ];
  return `
with inserted as (
  insert into ${ctx.silver} (${columnList([...names, ...values.map(([name]) => name)])})
  select ${columnList(names, 'incoming')},
         ${values.map(([, value]) => value).join(',\n         ')}
    from ${ctx.stage} as incoming
   where not incoming.${ident(STAGE_COLUMN.is_tombstone)}
     and not exists (
     select 1
       from ${ctx.silver} as existing
      where ${keyMatch(ctx.plan.key, 'existing', 'incoming')}
        and existing.${ident(SILVER_COLUMN.valid_to)} is null
   )
  returning 1
)
select count(*)::int as inserted
  from inserted`;
}
