import { describe, expect, it } from 'vitest';
import { compileExplodeScalars } from '../../../../shared/core/processors/explode-scalars.ts';
import type { ExplodeScalarsOptions } from '../../../../shared/core/processors/types.ts';
import { defineModel } from '../fixtures/models.ts';
import { loopDevicestatus } from '../fixtures/sources.ts';

const prediction = defineModel('nightscout_devicestatus_prediction', [
  ['devicestatus_id', 'text', { key: true }],
  ['list_index', 'integer', { key: true }],
  ['value', 'integer'],
]);

const options: ExplodeScalarsOptions = {
  name: 'explode_scalars',
  path: 'loop.predicted.values',
  parent_key: [{ column: 'devicestatus_id', path: '_id' }],
};

describe('explode_scalars', () => {
  it('makes a row per predicted value with the devicestatus id and the step index', () => {
    expect(compileExplodeScalars(options, prediction)(loopDevicestatus, 0)).toEqual({
      rows: [
        { devicestatus_id: '65f8745c1a2b3c4d5e6f7090', list_index: 0, value: 142 },
        { devicestatus_id: '65f8745c1a2b3c4d5e6f7090', list_index: 1, value: 140 },
        { devicestatus_id: '65f8745c1a2b3c4d5e6f7090', list_index: 2, value: 138 },
      ],
      unmapped: [],
      issues: [],
    });
  });

  it('names the index, value and id columns as configured', () => {
    const model = defineModel('m', [
      ['devicestatus_id', 'text', { key: true }],
      ['step', 'integer', { key: true }],
      ['glucose', 'integer'],
      ['prediction_id', 'text'],
    ]);
    const process = compileExplodeScalars({ ...options, index_column: 'step', value_column: 'glucose', id_column: 'prediction_id' }, model);
    const [first] = process(loopDevicestatus, 0).rows;
    expect(first).toEqual({ devicestatus_id: '65f8745c1a2b3c4d5e6f7090', step: 0, glucose: 142, prediction_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('keeps an object or list element whole as the value, for a jsonb column', () => {
    const record = { _id: 'x', loop: { predicted: { values: [[1, 2], { a: 1 }, null] } } };
    expect(compileExplodeScalars(options, prediction)(record, 0).rows.map((row) => row.value)).toEqual([[1, 2], { a: 1 }, null]);
  });

  it('reports a value that is not a list', () => {
    const record = { _id: 'x', loop: { predicted: { values: 142 } } };
    expect(compileExplodeScalars(options, prediction)(record, 4).issues).toEqual([
      { position: 4, path: 'loop.predicted.values', reason: 'expected a list, found the number 142' },
    ]);
  });

  it('carries a null parent key when the parent lacks it (coercion then reports the key)', () => {
    const record = { loop: { predicted: { values: [1] } } };
    expect(compileExplodeScalars(options, prediction)(record, 0).rows).toEqual([{ devicestatus_id: null, list_index: 0, value: 1 }]);
  });

  it('takes the parent key from the first path of a list that has a value', () => {
    const fallback: ExplodeScalarsOptions = { ...options, parent_key: [{ column: 'devicestatus_id', path: ['identifier', '_id'] }] };
    const process = compileExplodeScalars(fallback, prediction);
    const v3 = { identifier: 'uuid-7', loop: { predicted: { values: [1] } } };
    expect(process(v3, 0).rows).toEqual([{ devicestatus_id: 'uuid-7', list_index: 0, value: 1 }]);
    expect(process(loopDevicestatus, 0).rows[0]).toMatchObject({ devicestatus_id: '65f8745c1a2b3c4d5e6f7090' });
  });
});
