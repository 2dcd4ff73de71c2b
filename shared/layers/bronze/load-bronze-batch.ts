/**
 * Writes one entity's batch into `bronze.<table>` inside the caller's transaction: the table brought to the
 * model, the batch's earlier rows removed, the new rows streamed in with COPY, the checks judged (a batch with more
 * keys than the check holds in memory, one of which may repeat, has its duplicate keys counted in the table, still
 * inside the transaction).
 */
import { copyText } from '../../adapters/postgres/copy-rows.ts';
import { ident, qualified } from '../../adapters/postgres/sql.ts';
import { query, type Transaction } from '../../adapters/postgres/transaction.ts';
import { hasFailedChecks, type CheckResult } from '../../core/dq-checks.ts';
import { BRONZE_COLUMN, BRONZE_SCHEMA } from '../../core/table-layout.ts';
import type { LandedRecord } from '../../adapters/mongo/landing-store.ts';
import { ensureTable } from '../tables/ensure-table.ts';
import { bronzeTableSpec } from '../tables/entity-tables.ts';
import type { BronzeEntity } from './bronze-entity.ts';
import { streamBronzeRows, type BronzeRowCounts, type BronzeRowStreamOptions, type BronzeWrite } from './bronze-rows.ts';
import { countTableDuplicateKeys } from './table-duplicate-keys.ts';

/** What writing a batch did, before commit. */
export interface BronzeLoad {
  readonly counts: BronzeRowCounts;
  /** Rows of this batch that were in the table before (a forced rerun replaces them). */
  readonly rows_deleted: number;
  readonly checks: readonly CheckResult[];
  /** Whether a check of severity `error` failed: the caller must roll back. */
  readonly rejected: boolean;
  /** The table was created or got new columns. */
  readonly table_changed: boolean;
}

/**
 * Loads a batch in one pass, in `tx`: ensure the table (create, add columns, or refuse an unsafe model change
 * with `UnsafeModelChangeError`), delete the batch's rows already there (a forced rerun replaces, never
 * duplicates), COPY the rows as the landing records stream by, then judge the checks. Data and check verdict are
 * both in the transaction: when `rejected`, the caller rolls back and nothing of the batch becomes visible.
 */
export async function loadBronzeBatch(
  tx: Transaction,
  bronze: BronzeEntity,
  source: AsyncIterable<LandedRecord>,
  write: BronzeWrite,
  options: BronzeRowStreamOptions,
): Promise<BronzeLoad> {
  const spec = bronzeTableSpec({ table: bronze.table, model: bronze.model });
  const ensured = await ensureTable(tx, spec);
  const deleted = await query(
    tx,
    `delete batch ${write.batch_id} from ${BRONZE_SCHEMA}.${bronze.table}`,
    `delete from ${qualified(BRONZE_SCHEMA, bronze.table)}
      where ${ident(BRONZE_COLUMN.batch_id)} = $1`,
    [write.batch_id],
  );
  const rows = streamBronzeRows(source, { bronze, write, options });
  await copyText(tx, { schema: BRONZE_SCHEMA, table: bronze.table }, spec.columns, rows.text);
  const duplicates = rows.needsTableDuplicateCount()
    ? await countTableDuplicateKeys(tx, { table: bronze.table, key: bronze.model.key, batch_id: write.batch_id })
    : undefined;
  const { counts, checks } = rows.finish(duplicates);
  return {
    counts,
    rows_deleted: deleted.rowCount ?? 0,
    checks,
    rejected: hasFailedChecks(checks),
    table_changed: ensured.created || ensured.addedColumns.length > 0,
  };
}
