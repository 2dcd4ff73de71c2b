/** `explode_list`: each object of a nested list is a child row (docs/processors/explode-list.md). */
import type { EntityModel } from '../entity-model.ts';
import { isJsonObject } from '../json.ts';
import { compileChildRows } from './child-rows.ts';
import { describeShape } from './shape.ts';
import type { ExplodeListOptions, ProcessorIssue, RecordProcessor, Row } from './types.ts';

/** The default column for a child's position in its list. */
export const DEFAULT_INDEX_COLUMN = 'list_index';

/**
 * Compiles `explode_list`: every element of the list at `path` becomes a row with the parent key columns, its
 * 0-based index and (with `id_column`) a deterministic child id, the element flattened like `as_is`. A missing or
 * null list gives no rows; a null element gives a row of nulls; anything else that is not a list of objects is an
 * issue.
 */
export function compileExplodeList(options: ExplodeListOptions, model: EntityModel): RecordProcessor {
  const indexColumn = options.index_column ?? DEFAULT_INDEX_COLUMN;
  const children = compileChildRows('explode_list', options, [[indexColumn, 'index_column']], model);

  return (record, position) => {
    const rows: Row[] = [];
    const unmapped: string[] = [];
    const issues: ProcessorIssue[] = [];
    const list = children.at(record);
    if (list === undefined || list === null) return { rows, unmapped, issues };
    if (!Array.isArray(list)) {
      issues.push({ position, path: options.path, reason: `expected a list, found ${describeShape(list)}` });
      return { rows, unmapped, issues };
    }
    const parentValues = children.parentOf(record);
    for (let index = 0; index < list.length; index += 1) {
      const element = list[index] ?? null;
      if (element !== null && !isJsonObject(element)) {
        const reason = `expected an object, found ${describeShape(element)} (explode_scalars reads lists of scalars)`;
        issues.push({ position, path: `${options.path}[${index}]`, reason });
        continue;
      }
      const flat = children.start(parentValues, index, { [indexColumn]: index });
      rows.push(children.mapping.map(element ?? undefined, flat, unmapped));
    }
    return { rows, unmapped, issues };
  };
}
