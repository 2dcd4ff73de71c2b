/**
 * Silver as the platform wrote it, next to the generator's expected state (docs/test-system.md, "Expected
 * state"), both in the comparable form of `shared/core/silver-state-diff.ts` (the canary's): validity as batch folder
 * names, numerics by value, timestamps as ISO instants, bigints as text, rows sorted by key and validity.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../../shared/adapters/postgres/transaction.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { ident, qualified } from '../../../shared/adapters/postgres/sql.ts';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { comparableStateRow, STATE_COLUMNS, type StateRow } from '../../../shared/core/silver-state-diff.ts';
import { readBatchPositions } from '../../../shared/runs/cursors.ts';

/** Folder names of the batches landed so far, by their batch timestamp (ISO), from the cursors they recorded. */
export async function batchLabels(db: Db, systemId: string): Promise<Map<string, string>> {
  return new Map((await readBatchPositions(db, systemId)).map((batch) => [batch.batch_timestamp.toISOString(), batch.position]));
}

/** The silver table of an entity in the comparable form. */
export async function actualSilver(db: Db, table: string, model: EntityModel, labels: ReadonlyMap<string, string>): Promise<StateRow[]> {
  const columns = [...model.columns.map((column) => column.name), ...STATE_COLUMNS];
  const result = await query<Record<string, unknown>>(db, `read silver ${table}`, `select ${columns.map(ident).join(', ')} from ${qualified('silver', table)}`);
  const label = (value: unknown): string | null => {
    if (value === null) return null;
    const iso = new Date(value as Date).toISOString();
    return labels.get(iso) ?? `unknown batch ${iso}`;
  };
  const rows = result.rows.map((row) => ({ ...row, _dp_valid_from: label(row._dp_valid_from), _dp_valid_to: label(row._dp_valid_to) }));
  return sortRows(rows.map((row) => comparableStateRow(model, row)), model);
}

/** `batch-NNNN/expected/silver/<entity>.json` in the comparable form. */
export async function expectedSilver(dataDir: string, batch: string, entityId: string, model: EntityModel): Promise<StateRow[]> {
  const rows = JSON.parse(await readFile(path.join(dataDir, batch, 'expected', 'silver', `${entityId}.json`), 'utf8')) as StateRow[];
  return sortRows(rows.map((row) => comparableStateRow(model, row)), model);
}

function sortRows(rows: StateRow[], model: EntityModel): StateRow[] {
  const sortKey = (row: StateRow): string => JSON.stringify([...model.key.map((name) => row[name]), row._dp_valid_from]);
  return rows.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}
