/**
 * What a staged record does to silver, worked out once per record when the batch is staged (`stageBatchSql`)
 * and read by the statements that apply the batch: the plan of dbt's snapshot macros, one column of the staged
 * row instead of a condition repeated in each statement.
 */
import { changedExpression } from '../../core/scd-plan.ts';
import { SILVER_COLUMN } from '../../core/table-layout.ts';
import { ident } from '../../adapters/postgres/sql.ts';
import { STAGE_COLUMN, type SilverSqlContext } from './silver-entity.ts';

/**
 * The change type of a staged record, against its key's current version:
 * - `insert`: the key has no version yet; a version is opened;
 * - `scd1`: the open version differs in SCD1 columns only; they are overwritten on every version of the key;
 * - `scd2`: the open version differs in an SCD2 column; it is closed and a new version opened (SCD1 columns that
 *   differ are overwritten on the older versions too);
 * - `delete`: a tombstone for a key with an open version; that version is closed and flagged deleted;
 * - `return`: the key was deleted and comes back; its deleted row stops being current and a version is opened;
 * - `unchanged`: the open version already holds these values, or a tombstone finds no open version.
 * Keys a full load does not hold are deleted too, but they have no staged record, so no change type.
 */
export type ChangeType = 'insert' | 'scd1' | 'scd2' | 'delete' | 'return' | 'unchanged';

/** The change types that open a new version. */
export const OPENS_VERSION: readonly ChangeType[] = ['insert', 'scd2', 'return'];

/** `ref in ('a', 'b')`: whether the change type at `ref` is one of `types` (fixed words, never input). */
export function isChangeType(ref: string, types: readonly ChangeType[]): string {
  return `${ref} in (${types.map((type) => `'${type}'`).join(', ')})`;
}

/**
 * The change type of `incoming` (a staged record) as one SQL `case`, against `current_version` (its key's current
 * row, outer-joined: all null when the key has none; `_dp_valid_from` is never null in silver, so null there
 * means no row). The current row is open unless the key is deleted. Columns are compared null-safely and by
 * value (`changedExpression`); an SCD2 change wins over an SCD1 change, since the new version takes both.
 */
export function changeTypeSql(ctx: SilverSqlContext): string {
  const { plan } = ctx;
  const incoming = (name: string): string => `incoming.${ident(name)}`;
  const current = (name: string): string => `current_version.${ident(name)}`;
  const isTombstone = incoming(STAGE_COLUMN.is_tombstone);
  const hasCurrent = `${current(SILVER_COLUMN.valid_from)} is not null`;
  const isOpen = `${current(SILVER_COLUMN.valid_to)} is null`;
  return `case
         when ${isTombstone} and ${hasCurrent} and ${isOpen} then 'delete'
         when ${isTombstone} then 'unchanged'
         when not ${hasCurrent} then 'insert'
         when not ${isOpen} then 'return'
         when ${changedExpression(plan.scd2, current, incoming)} then 'scd2'
         when ${changedExpression(plan.scd1, current, incoming)} then 'scd1'
         else 'unchanged'
       end`;
}
