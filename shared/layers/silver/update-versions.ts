import { changedExpression } from '../../core/scd-plan.ts';
import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident, keyMatch } from '../../adapters/postgres/sql.ts';
import { STAGE_COLUMN, type SilverSqlContext } from './silver-entity.ts';

const existing = (name: string): string => `existing.${ident(name)}`;
const incoming = (name: string): string => `incoming.${ident(name)}`;

/**
 * Changes existing versions of the batch's keys in place, in one `update … from` over the staged batch:
 * - SCD1 columns take the batch's values on every version of the key where one differs;
 * - the open version of a key whose SCD2 values differ is closed at the batch timestamp and stops being current;
 * - the current row of a key that was deleted (closed) stops being current, since the key is back.
 * Changes are found by null-safe column comparisons (`is distinct from`). A row is current afterwards exactly when it is still open; `insertVersionsSql` then opens
 * the new versions. Tombstones change nothing here (`closeDeletedKeysSql` closes their keys). Returns one row:
 * `updated` (rows changed) and `scd1_only` (open versions changed only in SCD1 columns).
 * Parameters: $1 batch_timestamp, $2 batch_id.
 */
export function updateVersionsSql(ctx: SilverSqlContext): string {
  const { plan } = ctx;
  const validTo = ident(SILVER_COLUMN.valid_to);
  const isOpen = `existing.${validTo} is null`;
  const scd2Changed = changedExpression(plan.scd2, existing, incoming);
  const scd1Changed = changedExpression(plan.scd1, existing, incoming);
  const assignments = [
    ...plan.scd1.map((spec) => `${ident(spec.name)} = incoming.${ident(spec.name)}`),
    `${validTo} = case when ${isOpen} and ${scd2Changed} then $1::timestamptz else existing.${validTo} end`,
    `${ident(SILVER_COLUMN.is_current)} = ${isOpen} and not ${scd2Changed}`,
    `${ident(SILVER_COLUMN.updated_batch_id)} = $2::uuid`,
  ];
  return `
with updated as (
  update ${ctx.silver} as existing
     set ${assignments.join(',\n         ')}
    from ${ctx.stage} as incoming
   where ${keyMatch(plan.key, 'existing', 'incoming')}
     and not incoming.${ident(STAGE_COLUMN.is_tombstone)}
     and (${scd1Changed}
          or (existing.${ident(SILVER_COLUMN.is_current)} and (existing.${validTo} is not null or ${scd2Changed})))
  returning ${isOpen} as is_open
)
select count(*)::int as updated,
       count(*) filter (where updated.is_open)::int as scd1_only
  from updated`;
}
