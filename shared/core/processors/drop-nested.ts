/** `drop_nested`: each landing record is one row of its top-level values (docs/processors/drop-nested.md). */
import type { EntityModel } from '../entity-model.ts';
import { compileRowMapping, emptyFlatRecord } from './row-mapping.ts';
import type { DropNestedOptions, RecordProcessor } from './types.ts';

/**
 * Compiles `drop_nested` for a model: nested objects and lists are left out (other entities explode them), unless
 * a jsonb column names one or a column reads one with an exact `$.` source path. Left-out values are the
 * pattern's purpose, so they are not reported as unmapped; new top-level fields are.
 */
export function compileDropNested(_options: DropNestedOptions, model: EntityModel): RecordProcessor {
  const mapping = compileRowMapping(model, { nested: 'drop' });
  return (record) => {
    const unmapped: string[] = [];
    const row = mapping.map(record, emptyFlatRecord(), unmapped);
    return { rows: [row], unmapped, issues: [] };
  };
}
