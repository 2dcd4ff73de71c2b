/** The compile set-up the explode processors share: their path, parent key, own columns, row mapping and child id. */
import type { EntityModel } from '../entity-model.ts';
import type { FlatRecord } from '../flatten.ts';
import { parsePath, readPath, type JsonObject, type JsonValue } from '../json.ts';
import { childId } from './child-id.ts';
import { compileParentKey, describeParentKey } from './parent-key.ts';
import { compileRowMapping, emptyFlatRecord, type RowMapping } from './row-mapping.ts';
import type { ChildRowOptions } from './types.ts';

/** An explode processor's compiled child rows. */
export interface ChildRows {
  readonly mapping: RowMapping;
  /** The list or map at the processor's `path` in a record (undefined when missing). */
  at(record: JsonObject): JsonValue | undefined;
  /** The parent key values of a record, read once for all its children. */
  parentOf(record: JsonObject): JsonValue[];
  /**
   * A new flat row of one child: the parent key columns, then the processor's `own` values, then (when the model
   * has `id_column`) the child's deterministic id from its list index or map key.
   */
  start(parentValues: readonly JsonValue[], position: number | string, own: FlatRecord): FlatRecord;
}

/**
 * Compiles the child rows of `processor` (its name, for collision messages): `ownColumns` are its columns besides
 * the parent key and `id_column`, each with the option that names it (`[indexColumn, 'index_column']`).
 */
export function compileChildRows(
  processor: string,
  options: ChildRowOptions,
  ownColumns: readonly (readonly [column: string, option: string])[],
  model: EntityModel,
): ChildRows {
  const keys = parsePath(options.path);
  const parentKey = compileParentKey(options.parent_key);
  const idColumn = options.id_column;
  const own = new Map(describeParentKey(options.parent_key));
  for (const [column, option] of ownColumns) own.set(column, `(${processor} ${option})`);
  if (idColumn !== undefined) own.set(idColumn, `(${processor} id_column)`);
  const mapping = compileRowMapping(model, { nested: 'flatten', own });
  const writesId = idColumn !== undefined && mapping.has(idColumn);
  return {
    mapping,
    at: (record) => readPath(record, keys),
    parentOf: (record) => parentKey.read(record),
    start(parentValues, position, ownValues) {
      const flat = emptyFlatRecord();
      parentKey.write(flat, parentValues);
      Object.assign(flat, ownValues);
      if (writesId) flat[idColumn] = childId(parentValues, options.path, position);
      return flat;
    },
  };
}
