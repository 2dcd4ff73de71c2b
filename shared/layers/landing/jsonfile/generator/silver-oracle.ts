/**
 * The generator's own model of silver history (docs/test-system.md, "The oracle"): the expected state that the
 * silver engine is checked against. Deliberately simple and row by row, the opposite of the engine's set-based
 * SQL, so the two are unlikely to share a mistake. The rules, as docs/silver.md states them:
 *
 * 1. Duplicate keys in a batch: the record with the greatest landing position wins.
 * 2. SCD1 columns take the batch's values on every version of the key, closed and deleted ones included.
 * 3. An open version whose SCD2 values changed is closed at the batch (valid_to) and stops being current; a new
 *    version opens, valid from the batch, current.
 * 4. A key without an open version (new, or deleted earlier) gets a new version; a deleted current row stops
 *    being current.
 * 5. Full loads: the open version of every key the batch lacks is closed at the batch and flagged deleted; it
 *    stays the key's current row. Delta loads close nothing of their own accord.
 * 6. Tombstones (a row matching the entity's tombstone rule), in any load: the key's open version is closed at the
 *    batch and flagged deleted; nothing of the row is written; a key without an open version is left as it is.
 *
 * A version opened by a batch carries it (`valid_from`); one a later batch changed in place (SCD1 values, closed,
 * no longer current) carries that batch as `updated_batch`, as silver's `_dp_updated_batch_id` does.
 * `tests/integration/silver/replay-property.test.ts` checks the engine against this same oracle.
 */
import type { ColumnSpec, EntityModel } from '../../../../core/entity-model.ts';
import type { JsonValue } from '../../../../core/json.ts';
import type { OracleRow, OracleTombstone } from './tst01-entities.ts';

/** One version of a key, with validity as batch labels (`batch-0003`): a test maps them to batch timestamps. */
export interface ExpectedVersion {
  readonly values: OracleRow;
  readonly valid_from: string;
  valid_to: string | null;
  is_current: boolean;
  is_deleted: boolean;
  /** The last batch that changed this version in place; null while none has. */
  updated_batch: string | null;
}

/** An incoming row with the landing position of the record it came from. */
export interface IncomingRow {
  readonly position: number;
  readonly row: OracleRow;
}

/** A row of `expected/silver/<entity>.json`: the model's columns, then the silver system columns. */
export type ExpectedSilverRow = OracleRow & {
  readonly _dp_valid_from: string;
  readonly _dp_valid_to: string | null;
  readonly _dp_is_current: boolean;
  readonly _dp_is_deleted: boolean;
};

/** The history of one entity, batch after batch. */
export class SilverOracle {
  private readonly history = new Map<string, ExpectedVersion[]>();
  private readonly keyColumns: readonly ColumnSpec[];
  private readonly scd1Columns: readonly ColumnSpec[];
  private readonly scd2Columns: readonly ColumnSpec[];

  constructor(
    private readonly model: EntityModel,
    private readonly loadType: 'full' | 'delta',
    private readonly tombstone?: OracleTombstone,
  ) {
    const isKey = (column: ColumnSpec): boolean => model.key.includes(column.name);
    this.keyColumns = model.key.map((name) => model.columns.find((column) => column.name === name) as ColumnSpec);
    this.scd1Columns = model.columns.filter((column) => !isKey(column) && column.scd === 1);
    this.scd2Columns = model.columns.filter((column) => !isKey(column) && column.scd === 2);
  }

  /** Applies one batch (all rows the entity's landing records gave, in landing order). */
  apply(batch: string, rows: readonly IncomingRow[]): void {
    const incoming = this.latestPerKey(rows);
    for (const [key, row] of incoming) {
      if (this.tombstone && row[this.tombstone.column] === this.tombstone.equals) {
        const open = this.history.get(key)?.find((version) => version.valid_to === null);
        if (open) this.close(open, batch);
        continue;
      }
      const versions = this.history.get(key) ?? [];
      this.history.set(key, versions);
      for (const version of versions) {
        if (!this.sameValues(this.scd1Columns, version.values, row)) {
          this.overwrite(version, this.scd1Columns, row);
          version.updated_batch = batch;
        }
      }
      const open = versions.find((version) => version.valid_to === null);
      if (open && this.sameValues(this.scd2Columns, open.values, row)) continue;
      if (open) {
        open.valid_to = batch;
        open.is_current = false;
        open.updated_batch = batch;
      } else {
        for (const version of versions.filter((found) => found.is_current)) {
          version.is_current = false;
          version.updated_batch = batch;
        }
      }
      versions.push({ values: this.modelRow(row), valid_from: batch, valid_to: null, is_current: true, is_deleted: false, updated_batch: null });
    }
    if (this.loadType === 'full') {
      for (const [key, versions] of this.history) {
        const open = versions.find((version) => version.valid_to === null);
        if (open && !incoming.has(key)) this.close(open, batch);
      }
    }
  }

  /** Every version of every key, sorted by key, then by when it opened. */
  rows(batchOrder: (label: string) => number): ExpectedSilverRow[] {
    return this.versions(batchOrder).map((version) => ({
      ...version.values,
      _dp_valid_from: version.valid_from,
      _dp_valid_to: version.valid_to,
      _dp_is_current: version.is_current,
      _dp_is_deleted: version.is_deleted,
    }));
  }

  /** Every version of every key (copies), sorted by key, then by when it opened. */
  versions(batchOrder: (label: string) => number): ExpectedVersion[] {
    const versions = [...this.history.values()].flat().map((version) => ({ ...version, values: { ...version.values } }));
    return versions.sort((a, b) => this.compareKeys(a.values, b.values) || batchOrder(a.valid_from) - batchOrder(b.valid_from));
  }

  /** Rules 5 and 6: closed at the batch, flagged deleted, still the key's current row. */
  private close(version: ExpectedVersion, batch: string): void {
    version.valid_to = batch;
    version.is_deleted = true;
    version.updated_batch = batch;
  }

  /** Rule 1: the last row of each key in landing order (rows come sorted by position). */
  private latestPerKey(rows: readonly IncomingRow[]): Map<string, OracleRow> {
    const latest = new Map<string, OracleRow>();
    for (const { row } of [...rows].sort((a, b) => a.position - b.position)) latest.set(this.keyOf(row), row);
    return latest;
  }

  private keyOf(row: OracleRow): string {
    return JSON.stringify(this.keyColumns.map((column) => row[column.name] ?? null));
  }

  private modelRow(row: OracleRow): OracleRow {
    return Object.fromEntries(this.model.columns.map((column) => [column.name, row[column.name] ?? null]));
  }

  private overwrite(version: ExpectedVersion, columns: readonly ColumnSpec[], row: OracleRow): void {
    for (const column of columns) version.values[column.name] = row[column.name] ?? null;
  }

  private sameValues(columns: readonly ColumnSpec[], a: OracleRow, b: OracleRow): boolean {
    return columns.every((column) => sameValue(column, a[column.name] ?? null, b[column.name] ?? null));
  }

  private compareKeys(a: OracleRow, b: OracleRow): number {
    for (const column of this.keyColumns) {
      const order = compareValues(a[column.name] ?? null, b[column.name] ?? null);
      if (order !== 0) return order;
    }
    return 0;
  }
}

/** Equality as silver's change detection sees it: decimals by value (1.50 = 1.5), timestamps by instant. */
function sameValue(column: ColumnSpec, a: JsonValue, b: JsonValue): boolean {
  if (a === null || b === null) return a === b;
  if (column.type === 'numeric') return normalizeDecimal(String(a)) === normalizeDecimal(String(b));
  if (column.type === 'timestamptz') return Date.parse(String(a)) === Date.parse(String(b));
  return a === b;
}

function normalizeDecimal(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

function compareValues(a: JsonValue, b: JsonValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}
