/**
 * Silver as the platform wrote it, next to the generator's expected state (docs/test-system.md, "Expected
 * state"), both in one comparable form: validity as batch folder names, numerics by value, timestamps as ISO
 * instants, bigints as text, rows sorted by key and validity.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../../../shared/adapters/postgres/transaction.ts';
import { query } from '../../../shared/adapters/postgres/transaction.ts';
import { ident, qualified } from '../../../shared/adapters/postgres/sql.ts';
import type { ColumnType, EntityModel } from '../../../shared/core/entity-model.ts';

type Row = Record<string, unknown>;

/** Folder names of the batches landed so far, by their batch timestamp (ISO), from the cursors they recorded. */
export async function batchLabels(db: Db, systemId: string): Promise<Map<string, string>> {
  const result = await query<{ position: string; batch_timestamp: Date }>(
    db,
    'read batch labels',
    `select position, batch_timestamp
       from audit.cursor
      where system_id = $1
        and position is not null`,
    [systemId],
  );
  return new Map(result.rows.map((row) => [row.batch_timestamp.toISOString(), row.position]));
}

/** The silver table of an entity in the comparable form. */
export async function actualSilver(db: Db, table: string, model: EntityModel, labels: ReadonlyMap<string, string>): Promise<Row[]> {
  const columns = [...model.columns.map((column) => column.name), '_dp_valid_from', '_dp_valid_to', '_dp_is_current', '_dp_is_deleted'];
  const result = await query<Row>(db, `read silver ${table}`, `select ${columns.map(ident).join(', ')} from ${qualified('silver', table)}`);
  const label = (value: unknown): string | null => {
    if (value === null) return null;
    const iso = new Date(value as Date).toISOString();
    return labels.get(iso) ?? `unknown batch ${iso}`;
  };
  return sortRows(
    result.rows.map((row) => ({
      ...normalizeValues(row, model),
      _dp_valid_from: label(row._dp_valid_from),
      _dp_valid_to: label(row._dp_valid_to),
      _dp_is_current: row._dp_is_current,
      _dp_is_deleted: row._dp_is_deleted,
    })),
    model,
  );
}

/** `batch-NNNN/expected/silver/<entity>.json` in the comparable form. */
export async function expectedSilver(dataDir: string, batch: string, entityId: string, model: EntityModel): Promise<Row[]> {
  const rows = JSON.parse(await readFile(path.join(dataDir, batch, 'expected', 'silver', `${entityId}.json`), 'utf8')) as Row[];
  return sortRows(
    rows.map((row) => ({
      ...normalizeValues(row, model),
      _dp_valid_from: row._dp_valid_from,
      _dp_valid_to: row._dp_valid_to,
      _dp_is_current: row._dp_is_current,
      _dp_is_deleted: row._dp_is_deleted,
    })),
    model,
  );
}

function normalizeValues(row: Row, model: EntityModel): Row {
  return Object.fromEntries(model.columns.map((column) => [column.name, normalizeValue(row[column.name], column.type)]));
}

function normalizeValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'numeric':
      return canonicalNumeric(String(value));
    case 'timestamptz':
      return new Date(value as string | Date).toISOString();
    case 'bigint':
      return String(value);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'double':
    case 'integer':
      return Number(value);
    default:
      return value;
  }
}

/** `12.50` → `12.5`, `3.00` → `3`, `-0.0` → `0`: numerics compare by value, as the oracle's rules say. */
function canonicalNumeric(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d*?))?0*$/.exec(text.trim());
  if (!match) return text;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const digits = whole.replace(/^0+(?=\d)/, '');
  const isZero = /^0*$/.test(digits) && fraction === '';
  return `${isZero ? '' : sign}${digits}${fraction === '' ? '' : `.${fraction}`}`;
}

function sortRows(rows: Row[], model: EntityModel): Row[] {
  const sortKey = (row: Row): string => JSON.stringify([...model.key.map((name) => row[name]), row._dp_valid_from]);
  return rows.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}
