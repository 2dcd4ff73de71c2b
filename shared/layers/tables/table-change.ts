/**
 * Compares a derived table as it exists with what its model now describes, and decides what can change in
 * place. Pure: `ensureTable` reads the catalog and applies the plan.
 */
import { sqlType, type TableColumn, type TableMeta, type TableSpec } from './table-ddl.ts';

/** A column as the catalog reports it (`format_type()` spelling). */
export interface ExistingColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

/** An existing table: its columns and the meta recorded in its comment (undefined when it has none). */
export interface ExistingTable {
  readonly columns: readonly ExistingColumn[];
  readonly meta: TableMeta | undefined;
}

/** What `ensureTable` does to an existing table; `refusals` non-empty means: nothing, and an error. */
export interface TableChangePlan {
  /** New columns (model or system), added nullable. */
  readonly addColumns: readonly TableColumn[];
  /** Retired system columns the table still has (`TableSpec.retiredColumns`): dropped, with their values. */
  readonly dropColumns: readonly string[];
  /** Columns whose not-null constraint must go: the model dropped them, or now allows nulls. */
  readonly dropNotNull: readonly string[];
  /** Changes that cannot be made in place, each with what to do instead. */
  readonly refusals: readonly string[];
  /** Whether the table comment must be rewritten (new or changed meta). */
  readonly rewriteMeta: boolean;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/**
 * Plans the change from `existing` to `spec`: new columns are added; a column the model dropped, or now allows
 * to be null, loses its not-null constraint (its data stays); a type change or a changed key is refused, since
 * neither can be applied without rewriting data the platform cannot re-derive safely. Tightening nullability
 * is never done in place (old rows may hold nulls); bronze enforces it on new rows. A retired system column
 * (`spec.retiredColumns`, never a model column) is dropped: the platform wrote it and nothing reads it.
 */
export function planTableChange(spec: TableSpec, existing: ExistingTable): TableChangePlan {
  const name = `${spec.schema}.${spec.table}`;
  const refusals: string[] = [];
  const existingByName = new Map(existing.columns.map((column) => [column.name, column]));
  const wanted = new Set(spec.columns.map((column) => column.name));
  const retired = new Set((spec.retiredColumns ?? []).filter((column) => !wanted.has(column)));

  if (existing.meta && !sameList(existing.meta.key, spec.meta.key)) {
    refusals.push(
      `${name}: the key is (${existing.meta.key.join(', ')}) but the model now says (${spec.meta.key.join(', ')}); ` +
        'rows cannot be re-keyed in place. Restore the key in the model, or give the entity a new id (new tables), ' +
        'or drop the entity\'s bronze and silver tables and load it again.',
    );
  }
  const addColumns: TableColumn[] = [];
  const dropNotNull: string[] = [];
  for (const column of spec.columns) {
    const found = existingByName.get(column.name);
    if (!found) {
      addColumns.push(column);
      continue;
    }
    if (found.type !== sqlType(column.type)) {
      refusals.push(
        `${name}.${column.name}: the table has type ${found.type} but the model says ${sqlType(column.type)}; ` +
          'a type cannot change in place. Add the new type as a new column (another name) and keep this one, ' +
          `or convert it by hand (alter table ${name} alter column ${column.name} type …) and run again.`,
      );
    }
    if (column.nullable && !found.nullable) dropNotNull.push(column.name);
  }
  const dropColumns: string[] = [];
  for (const column of existing.columns) {
    if (retired.has(column.name)) dropColumns.push(column.name);
    else if (!wanted.has(column.name) && !column.nullable) dropNotNull.push(column.name);
  }
  const rewriteMeta = existing.meta === undefined || existing.meta.hash !== spec.meta.hash || !sameList(existing.meta.key, spec.meta.key);
  return { addColumns, dropColumns, dropNotNull, refusals, rewriteMeta };
}
