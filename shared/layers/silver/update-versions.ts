import { changedExpression, hashExpression } from '../../core/scd-plan.ts';
import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import { isChangeType } from './change-type.ts';
import { keyMatch, STAGE_COLUMN, type SilverSqlContext } from './silver-entity.ts';

const existing = (name: string): string => `existing.${ident(name)}`;
const incoming = (name: string): string => `incoming.${ident(name)}`;

/**
 * Changes existing versions of the batch's keys in place, in one `update … from` over the staged, planned batch:
 * - `scd2`: the open version is closed at the batch timestamp and stops being current;
 * - `return`: the key's deleted row stops being current, since the key is back;
 * - any staged record but a tombstone: SCD1 columns (and their hash) take the batch's values on every version of
 *   the key where one differs. That is compared per version, not planned: older versions can differ from the
 *   current one after a model change (a column that moved from SCD2 to SCD1, docs/silver.md).
 * The SCD1 hash is computed only for the rows written. A row is current afterwards exactly when it is still open;
 * `insertVersionsSql` then opens the new versions. Returns one row: `updated` (rows changed) and `scd1_only`
 * (open versions changed only in SCD1 columns: the `scd1` records). Parameters: $1 batch_timestamp, $2 batch_id.
 */
export function updateVersionsSql(ctx: SilverSqlContext): string {
  const { plan } = ctx;
  const validTo = ident(SILVER_COLUMN.valid_to);
  const changeType = incoming(STAGE_COLUMN.change_type);
  const isOpen = `existing.${validTo} is null`;
  const isScd2 = isChangeType(changeType, ['scd2']);
  const closes = `${isOpen} and ${isScd2}`;
  const assignments = [
    ...plan.scd1.map((spec) => `${ident(spec.name)} = ${incoming(spec.name)}`),
    `${ident(SILVER_COLUMN.scd1_hash)} = ${hashExpression(plan.scd1, incoming)}`,
    `${validTo} = case when ${closes} then $1::timestamptz else existing.${validTo} end`,
    `${ident(SILVER_COLUMN.is_current)} = ${isOpen} and not ${isScd2}`,
    `${ident(SILVER_COLUMN.updated_batch_id)} = $2::uuid`,
  ];
  return `
with updated as (
  update ${ctx.silver} as existing
     set ${assignments.join(',\n         ')}
    from ${ctx.stage} as incoming
   where ${keyMatch(plan, 'existing', 'incoming')}
     and not ${incoming(STAGE_COLUMN.is_tombstone)}
     and (${changedExpression(plan.scd1, existing, incoming)}
          or (existing.${ident(SILVER_COLUMN.is_current)} and ${isChangeType(changeType, ['scd2', 'return'])}))
  returning existing.${validTo} is null as is_open
)
select count(*)::int as updated,
       count(*) filter (where updated.is_open)::int as scd1_only
  from updated`;
}
