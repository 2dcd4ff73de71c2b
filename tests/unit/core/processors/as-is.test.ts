import { describe, expect, it } from 'vitest';
import { ColumnCollisionError } from '../../../../shared/core/errors.ts';
import { compileAsIs } from '../../../../shared/core/processors/as-is.ts';
import { defineModel } from '../fixtures/models.ts';
import { loopDevicestatus } from '../fixtures/sources.ts';

const devicestatus = defineModel('nightscout_devicestatus', [
  ['id', 'text', { key: true, source: '_id' }],
  ['device', 'text'],
  ['created_at', 'timestamptz'],
  ['pump_id', 'text', { source: 'pump_pumpID' }],
  ['pump_reservoir', 'numeric'],
  ['pump_battery_percent', 'integer'],
  ['loop_iob', 'numeric', { source: 'loop_iob_iob' }],
  ['loop_predicted_start_date', 'timestamptz', { source: 'loop.predicted.startDate' }],
  ['loop_enacted_bolus_volume', 'numeric'],
  ['uploader', 'jsonb'],
  ['loop_predicted_values', 'jsonb'],
  ['loop_status', 'text'],
]);

describe('as_is', () => {
  const process = compileAsIs({ name: 'as_is' }, devicestatus);

  it('makes one row of model columns from a Loop devicestatus', () => {
    const { rows, issues } = process(loopDevicestatus, 0);
    expect(issues).toEqual([]);
    expect(rows).toEqual([
      {
        id: '65f8745c1a2b3c4d5e6f7090',
        device: 'loop://iPhone',
        created_at: '2026-03-18T17:00:00.000Z',
        pump_id: '123',
        pump_reservoir: 112.5,
        pump_battery_percent: 75,
        loop_iob: 1.2,
        loop_predicted_start_date: '2026-03-18T17:00:00Z',
        loop_enacted_bolus_volume: 0,
        uploader: { name: 'iPhone', timestamp: '2026-03-18T17:00:00Z', battery: 80 },
        loop_predicted_values: [142, 140, 138],
        loop_status: null,
      },
    ]);
  });

  it('reports every source field with a value that no column reads', () => {
    expect(process(loopDevicestatus, 0).unmapped).toEqual([
      'pump_clock',
      'pump_suspended',
      'loop_name',
      'loop_version',
      'loop_timestamp',
      'loop_iob_timestamp',
      'loop_cob_timestamp',
      'loop_cob_cob',
      'loop_enacted_rate',
      'loop_enacted_duration',
      'loop_enacted_received',
    ]);
  });

  it('does not report nulls and empty lists as unmapped', () => {
    const model = defineModel('m', [['id', 'bigint', { key: true }]]);
    const { unmapped } = compileAsIs({ name: 'as_is' }, model)({ id: 1, avatar: null, attachment: [], tags: ['a'] }, 0);
    expect(unmapped).toEqual(['tags']);
  });

  it.each([
    ['the flattened name', 'pump_pumpID'],
    ['the normalised flattened name', 'pump_pump_id'],
    ['a dotted path', 'pump.pumpID'],
    ['an exact $. path', '$.pump.pumpID'],
  ])('reads a column through %s as its source', (_rule, source) => {
    const model = defineModel('m', [['pump_serial', 'text', { source }]]);
    expect(compileAsIs({ name: 'as_is' }, model)(loopDevicestatus, 0).rows[0]).toEqual({ pump_serial: '123' });
  });

  it('reads a column over 63 bytes through its long source name', () => {
    const record = { payment: { counterparty_alias: { label_user: { avatar: { image: { attachment_public_uuid: 'u' } } } } } };
    const model = defineModel('m', [
      ['avatar_image_uuid', 'text', { source: 'payment_counterparty_alias_label_user_avatar_image_attachment_public_uuid' }],
    ]);
    const { rows, unmapped } = compileAsIs({ name: 'as_is' }, model)(record, 0);
    expect(rows[0]).toEqual({ avatar_image_uuid: 'u' });
    expect(unmapped).toEqual([]);
  });

  it('fails on a collision the model reads, naming both source paths', () => {
    const model = defineModel('collide', [['a_b', 'integer']]);
    expect(() => compileAsIs({ name: 'as_is' }, model)({ a_b: 1, a: { b: 2 } }, 0)).toThrow(
      new ColumnCollisionError('a_b', ['a_b', 'a.b'], 'collide'),
    );
  });

  it('reports both fields of a collision the model does not read as unmapped', () => {
    const model = defineModel('m', [['id', 'integer']]);
    expect(compileAsIs({ name: 'as_is' }, model)({ id: 1, a_b: 1, a: { b: 2 } }, 0)).toEqual({
      rows: [{ id: 1 }],
      unmapped: ['a_b', 'a_b'],
      issues: [],
    });
  });

  it('settles a collision with an exact $. path, which also takes the field out of flattening', () => {
    const model = defineModel('m', [
      ['a_b', 'integer'],
      ['nested_b', 'integer', { source: '$.a.b' }],
    ]);
    expect(compileAsIs({ name: 'as_is' }, model)({ a_b: 1, a: { b: 2 } }, 0)).toEqual({
      rows: [{ a_b: 1, nested_b: 2 }],
      unmapped: [],
      issues: [],
    });
  });

  it('reads a column named constructor only from the record, never from Object.prototype', () => {
    const model = defineModel('m', [['constructor', 'text']]);
    const process = compileAsIs({ name: 'as_is' }, model);
    expect(process({}, 0).rows).toEqual([{ constructor: null }]);
    expect(process({ constructor: 'x' }, 0).rows).toEqual([{ constructor: 'x' }]);
  });

  it('reads a key containing a dot through an escaped $. path', () => {
    const model = defineModel('m', [['version', 'text', { source: '$.app\\.version' }]]);
    expect(compileAsIs({ name: 'as_is' }, model)({ 'app.version': '1.2' }, 0).rows).toEqual([{ version: '1.2' }]);
  });

  it('reads a source list in order, taking the first field with a value (a field two API versions name differently)', () => {
    const model = defineModel('m', [['id', 'text', { key: true, source: ['identifier', '_id'] }]]);
    const process = compileAsIs({ name: 'as_is' }, model);
    expect(process({ _id: 'abc', identifier: 'uuid-1' }, 0)).toEqual({ rows: [{ id: 'uuid-1' }], unmapped: [], issues: [] });
    expect(process({ _id: 'abc' }, 0).rows).toEqual([{ id: 'abc' }]);
    expect(process({ _id: 'abc', identifier: null }, 0).rows).toEqual([{ id: 'abc' }]);
    expect(process({}, 0).rows).toEqual([{ id: null }]);
  });
});
