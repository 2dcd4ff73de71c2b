import type pg from 'pg';
import { ident, qualified } from '../adapters/postgres/sql.ts';
import { query, type Db } from '../adapters/postgres/transaction.ts';

/** How an insert ends: what a conflict does (`on conflict … do nothing`), and what it returns (default `*`). */
export interface InsertOptions {
  readonly onConflict?: string;
  readonly returning?: string;
}

/**
 * Inserts one row into an `audit` table from a record of column → value: the columns are named beside their
 * values, and each value becomes a parameter (`$n`) here, in one place, so a wide row cannot put a value in the
 * wrong column the way a positional array can. A value may be `null`; a key that is absent is not inserted
 * (the column's default applies). Returns the inserted row, or none when `onConflict` skipped it.
 *
 * @example
 * await insertAuditRow(tx, 'advance cursor', 'cursor', { system_id, entity_id, batch_id, window_end }, {
 *   onConflict: 'on conflict on constraint cursor_batch_key do nothing',
 * });
 */
export async function insertAuditRow<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Db,
  action: string,
  table: string,
  row: Readonly<Record<string, unknown>>,
  options: InsertOptions = {},
): Promise<Row | undefined> {
  const columns = Object.keys(row).filter((column) => row[column] !== undefined);
  const result = await query<Row>(
    db,
    action,
    `insert into ${qualified('audit', table)} (${columns.map(ident).join(', ')})
     values (${columns.map((_, index) => `$${index + 1}`).join(', ')})
     ${options.onConflict ?? ''}
     returning ${options.returning ?? '*'}`,
    columns.map((column) => row[column]),
  );
  return result.rows[0];
}

/**
 * Names the parameters of a statement that cannot be a plain insert (an `insert … select` that computes some
 * columns): each key of `row` gets its `$n`, so the statement says `${at.run_id}` where it means the run id and
 * the values follow in the same order, from the same record.
 *
 * @example
 * const { at, values } = namedParameters({ run_id, status });
 * await query(db, 'claim', `insert into audit.x (run_id, status) select ${at.run_id}, ${at.status} …`, values);
 */
export function namedParameters<Row extends Readonly<Record<string, unknown>>>(row: Row): { at: { readonly [Column in keyof Row]: string }; values: unknown[] } {
  const at: Record<string, string> = {};
  const values: unknown[] = [];
  for (const [column, value] of Object.entries(row)) {
    values.push(value);
    at[column] = `$${values.length}`;
  }
  return { at: at as { readonly [Column in keyof Row]: string }, values };
}
