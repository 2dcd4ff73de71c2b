import { describe, expect, it } from 'vitest';
import { compileProcessor, PROCESSOR_NAMES } from '../../../../shared/core/processors/index.ts';
import type { ProcessorOptions } from '../../../../shared/core/processors/types.ts';
import { defineModel } from '../fixtures/models.ts';
import { loopDevicestatus, profile } from '../fixtures/sources.ts';

const model = defineModel('m', [
  ['parent_id', 'text', { key: true }],
  ['list_index', 'integer'],
  ['value', 'integer'],
  ['key', 'text'],
  ['object_type', 'text'],
  ['device', 'text'],
]);

const optionsByName: Record<(typeof PROCESSOR_NAMES)[number], ProcessorOptions> = {
  as_is: { name: 'as_is' },
  drop_nested: { name: 'drop_nested' },
  explode_list: { name: 'explode_list', path: 'store.Default.basal', parent_key: [{ column: 'parent_id', path: '_id' }] },
  explode_scalars: { name: 'explode_scalars', path: 'loop.predicted.values', parent_key: [{ column: 'parent_id', path: '_id' }] },
  explode_map: { name: 'explode_map', path: 'store', key_column: 'key', parent_key: [{ column: 'parent_id', path: '_id' }] },
  unwrap_type: { name: 'unwrap_type', type_column: 'object_type', path: 'pump' },
};

describe('compileProcessor', () => {
  it.each([
    ['as_is', loopDevicestatus, 1],
    ['drop_nested', loopDevicestatus, 1],
    ['explode_list', profile, 2],
    ['explode_scalars', loopDevicestatus, 3],
    ['explode_map', profile, 2],
  ] as const)('dispatches %s to its pattern', (name, record, rowCount) => {
    expect(compileProcessor(optionsByName[name], model)(record, 0).rows).toHaveLength(rowCount);
  });

  it('dispatches unwrap_type to its pattern', () => {
    const process = compileProcessor(optionsByName.unwrap_type, model);
    expect(process({ pump: { Medtronic: { device: 'pump-1' } } }, 0).rows).toEqual([
      { parent_id: null, list_index: null, value: null, key: null, object_type: 'Medtronic', device: 'pump-1' },
    ]);
  });

  it('knows every processor name', () => {
    expect(Object.keys(optionsByName).sort()).toEqual([...PROCESSOR_NAMES].sort());
  });

  it('gives the same rows for a record whatever its position, compiled once or again', () => {
    const options = optionsByName.explode_scalars;
    const process = compileProcessor(options, model);
    const first = process(loopDevicestatus, 0);
    expect(process(loopDevicestatus, 1)).toEqual(first);
    expect(first).toEqual(compileProcessor(options, model)(loopDevicestatus, 0));
  });
});
