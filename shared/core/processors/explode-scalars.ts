/** `explode_scalars`: each value of a nested list is a child row (docs/processors/explode-scalars.md). */
import type { EntityModel } from '../entity-model.ts';
import { compileChildRows } from './child-rows.ts';
import { DEFAULT_INDEX_COLUMN } from './explode-list.ts';
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
  const indexColumn = options.index_column ?? DEFAULT_INDEX_COLUMN;
  const valueColumn = options.value_column ?? DEFAULT_VALUE_COLUMN;
  const ownColumns = [[indexColumn, 'index_column'], [valueColumn, 'value_column']] as const;
  const children = compileChildRows('explode_scalars', options, ownColumns, model);

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
      const flat = children.start(parentValues, index, { [indexColumn]: index, [valueColumn]: list[index] ?? null });
      rows.push(children.mapping.map(undefined, flat, unmapped));
    }
    return { rows, unmapped, issues };
  };
}
