/** `explode_map`: each entry of an object with dynamic keys is a child row (docs/processors/explode-map.md). */
import type { EntityModel } from '../entity-model.ts';
import { isJsonObject } from '../json.ts';
import { compileChildRows } from './child-rows.ts';
import { DEFAULT_VALUE_COLUMN } from './explode-scalars.ts';
import { describeShape } from './shape.ts';
import type { ExplodeMapOptions, ProcessorIssue, RecordProcessor, Row } from './types.ts';

/**
 * Compiles `explode_map`: every key of the object at `path` (Nightscout's profile `store`: `{"Default": {…},
 * "Sport": {…}}`) becomes a row with the parent key columns, the key as written in `key_column`, and (with
 * `id_column`) a child id; an object value is flattened like `as_is`, any other value goes to `value_column`.
 * Keys become values, never column names, so a renamed profile changes rows, not the table.
 */
export function compileExplodeMap(options: ExplodeMapOptions, model: EntityModel): RecordProcessor {
  const keyColumn = options.key_column;
  const valueColumn = options.value_column ?? DEFAULT_VALUE_COLUMN;
  const children = compileChildRows('explode_map', options, [[keyColumn, 'key_column']], model);

  return (record, position) => {
    const rows: Row[] = [];
    const unmapped: string[] = [];
    const issues: ProcessorIssue[] = [];
    const map = children.at(record);
    if (map === undefined || map === null) return { rows, unmapped, issues };
    if (!isJsonObject(map)) {
      issues.push({ position, path: options.path, reason: `expected an object with one entry per key, found ${describeShape(map)}` });
      return { rows, unmapped, issues };
    }
    const parentValues = children.parentOf(record);
    for (const key of Object.keys(map)) {
      const value = map[key] ?? null;
      const flat = children.start(parentValues, key, { [keyColumn]: key });
      if (isJsonObject(value)) {
        rows.push(children.mapping.map(value, flat, unmapped));
      } else {
        flat[valueColumn] = value;
        rows.push(children.mapping.map(undefined, flat, unmapped));
      }
    }
    return { rows, unmapped, issues };
  };
}
