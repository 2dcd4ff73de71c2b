/** `unwrap_type`: a record wrapped in one type key, like bunq's `{"Payment": {…}}` (docs/processors/unwrap-type.md). */
import type { EntityModel } from '../entity-model.ts';
import { isJsonObject, parsePath, readPath } from '../json.ts';
import { compileRowMapping, emptyFlatRecord } from './row-mapping.ts';
import { describeShape } from './shape.ts';
import type { ProcessorIssue, ProcessorResult, RecordProcessor, UnwrapTypeOptions } from './types.ts';

/**
 * Compiles `unwrap_type`: the wrapper (the record, or the object at `path`) must have exactly one key, the type
 * (`MonetaryAccountBank`, `MonetaryAccountSavings`…), whose value is an object. The row is that object flattened
 * plus the type in `type_column`, so every type shares the model's columns instead of each getting a prefix.
 * Anything else, or a type outside `types`, is an issue: never a silently missing row.
 */
export function compileUnwrapType(options: UnwrapTypeOptions, model: EntityModel): RecordProcessor {
  const keys = options.path === undefined ? undefined : parsePath(options.path);
  const where = options.path ?? '(record)';
  const accepted = options.types === undefined ? undefined : new Set(options.types);
  const typeColumn = options.type_column;
  const mapping = compileRowMapping(model, { nested: 'flatten', own: new Map([[typeColumn, '(unwrap_type type_column)']]) });

  return (record, position) => {
    const fail = (path: string, reason: string): ProcessorResult => {
      const issues: ProcessorIssue[] = [{ position, path, reason }];
      return { rows: [], unmapped: [], issues };
    };
    const wrapper = keys === undefined ? record : readPath(record, keys);
    if (!isJsonObject(wrapper)) return fail(where, `expected an object wrapped in its type, found ${describeShape(wrapper)}`);
    const types = Object.keys(wrapper);
    const type = types[0];
    if (types.length !== 1 || type === undefined) {
      const found = types.length === 0 ? 'none' : `${types.length}: ${types.slice(0, 5).join(', ')}`;
      return fail(where, `expected exactly one type key, found ${found}`);
    }
    if (accepted !== undefined && !accepted.has(type)) {
      return fail(where, `unexpected type "${type}" (accepted: ${[...accepted].join(', ')})`);
    }
    const inner = wrapper[type];
    if (!isJsonObject(inner)) return fail(`${where}.${type}`, `expected an object, found ${describeShape(inner)}`);
    const flat = emptyFlatRecord();
    flat[typeColumn] = type;
    const unmapped: string[] = [];
    const row = mapping.map(inner, flat, unmapped);
    return { rows: [row], unmapped, issues: [] };
  };
}
