/** `as_is`: each landing record is one row, nested objects flattened (docs/processors/as-is.md). */
import type { EntityModel } from '../entity-model.ts';
import { compileRowMapping, emptyFlatRecord } from './row-mapping.ts';
import type { AsIsOptions, RecordProcessor } from './types.ts';

/**
 * Compiles `as_is` for a model: `{pump: {reservoir: 112.5}}` → one row with `pump_reservoir`; lists stay values
 * (a jsonb column takes them; otherwise they are reported as unmapped).
 */
export function compileAsIs(_options: AsIsOptions, model: EntityModel): RecordProcessor {
  const mapping = compileRowMapping(model, { nested: 'flatten' });
  return (record) => {
    const unmapped: string[] = [];
    const row = mapping.map(record, emptyFlatRecord(), unmapped);
    return { rows: [row], unmapped, issues: [] };
  };
}
