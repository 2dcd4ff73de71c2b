/**
 * The processor registry: one landing structure pattern per processor, chosen by the entity's `processor.name`.
 * Adding a pattern = one module here, one entry below, one page in docs/processors/, one test file.
 */
import type { EntityModel } from '../entity-model.ts';
import { compileAsIs } from './as-is.ts';
import { compileDropNested } from './drop-nested.ts';
import { compileExplodeList } from './explode-list.ts';
import { compileExplodeMap } from './explode-map.ts';
import { compileExplodeScalars } from './explode-scalars.ts';
import type { ProcessorName, ProcessorOptions, RecordProcessor } from './types.ts';
import { compileUnwrapType } from './unwrap-type.ts';

/** Every processor name, in the order the docs list them. */
export const PROCESSOR_NAMES: readonly ProcessorName[] = [
  'as_is',
  'drop_nested',
  'explode_list',
  'explode_scalars',
  'explode_map',
  'unwrap_type',
];

/**
 * Compiles the processor an entity names for its model; call the result once per landing record.
 *
 * @example
 * const process = compileProcessor({ name: 'unwrap_type', type_column: 'object_type' }, model);
 * const { rows, unmapped, issues } = process(record, position);
 */
export function compileProcessor(options: ProcessorOptions, model: EntityModel): RecordProcessor {
  switch (options.name) {
    case 'as_is':
      return compileAsIs(options, model);
    case 'drop_nested':
      return compileDropNested(options, model);
    case 'explode_list':
      return compileExplodeList(options, model);
    case 'explode_scalars':
      return compileExplodeScalars(options, model);
    case 'explode_map':
      return compileExplodeMap(options, model);
    case 'unwrap_type':
      return compileUnwrapType(options, model);
  }
}
