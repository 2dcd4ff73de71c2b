/** `explode_scalars`: each value of a nested list is a child row (docs/processors/explode-scalars.md). */
import type { EntityModel } from '../entity-model.ts';
import { parsePath, readPath } from '../json.ts';
import { childId } from './child-id.ts';
import { DEFAULT_INDEX_COLUMN } from './explode-list.ts';
import { compileParentKey, describeParentKey } from './parent-key.ts';
import { compileRowMapping, emptyFlatRecord } from './row-mapping.ts';
import { describeShape } from './shape.ts';
import type { ExplodeScalarsOptions, ProcessorIssue, RecordProcessor, Row } from './types.ts';

/** The default column for an exploded scalar. */
export const DEFAULT_VALUE_COLUMN = 'value';

/**
 * Compiles `explode_scalars`: every element of the list at `path` (`loop.predicted.values`: `[142, 140, 138]`)
 * becomes a row of parent key columns, index, value and (with `id_column`) a child id. An element that is an
 * object or list is kept whole as the value (a jsonb column takes it; coercion reports it otherwise).
 */
export function compileExplodeScalars(options: ExplodeScalarsOptions, model: EntityModel): RecordProcessor {
  const keys = parsePath(options.path);
  const parentKey = compileParentKey(options.parent_key);
  const indexColumn = options.index_column ?? DEFAULT_INDEX_COLUMN;
  const valueColumn = options.value_column ?? DEFAULT_VALUE_COLUMN;
  const idColumn = options.id_column;
  const own = new Map(describeParentKey(options.parent_key));
  own.set(indexColumn, '(explode_scalars index_column)');
  own.set(valueColumn, '(explode_scalars value_column)');
  if (idColumn !== undefined) own.set(idColumn, '(explode_scalars id_column)');
  const mapping = compileRowMapping(model, { nested: 'flatten', own });
  const writesId = idColumn !== undefined && mapping.has(idColumn);

  return (record, position) => {
    const rows: Row[] = [];
    const unmapped: string[] = [];
    const issues: ProcessorIssue[] = [];
    const list = readPath(record, keys);
    if (list === undefined || list === null) return { rows, unmapped, issues };
    if (!Array.isArray(list)) {
      issues.push({ position, path: options.path, reason: `expected a list, found ${describeShape(list)}` });
      return { rows, unmapped, issues };
    }
    const parentValues = parentKey.read(record);
    for (let index = 0; index < list.length; index += 1) {
      const flat = emptyFlatRecord();
      parentKey.write(flat, parentValues);
      flat[indexColumn] = index;
      flat[valueColumn] = list[index] ?? null;
      if (writesId) flat[idColumn] = childId(parentValues, options.path, index);
      rows.push(mapping.map(undefined, flat, unmapped));
    }
    return { rows, unmapped, issues };
  };
}
