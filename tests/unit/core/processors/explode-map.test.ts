import { describe, expect, it } from 'vitest';
import { compileExplodeMap } from '../../../../shared/core/processors/explode-map.ts';
import type { ExplodeMapOptions } from '../../../../shared/core/processors/types.ts';
import { defineModel } from '../fixtures/models.ts';
import { profile } from '../fixtures/sources.ts';

const profileStore = defineModel('nightscout_profile_store', [
  ['profile_id', 'text', { key: true }],
  ['profile_name', 'text', { key: true }],
  ['dia', 'numeric'],
  ['delay', 'numeric'],
  ['timezone', 'text'],
  ['units', 'text'],
  ['start_date', 'timestamptz', { source: 'startDate' }],
  ['carbs_hr', 'numeric'],
  ['basal', 'jsonb'],
  ['target_low', 'jsonb'],
]);

const options: ExplodeMapOptions = {
  name: 'explode_map',
  path: 'store',
  key_column: 'profile_name',
  parent_key: [{ column: 'profile_id', path: '_id' }],
};

describe('explode_map', () => {
  it('makes a row per profile name in the store, the name as a value and the profile flattened', () => {
    const { rows, unmapped, issues } = compileExplodeMap(options, profileStore)(profile, 0);
    expect(issues).toEqual([]);
    expect(unmapped).toEqual([]);
    expect(rows.map((row) => [row.profile_id, row.profile_name, row.carbs_hr])).toEqual([
      ['65f8745c1a2b3c4d5e6f70a0', 'Default', 20],
      ['65f8745c1a2b3c4d5e6f70a0', 'Sport', 30],
    ]);
    expect(rows[0]).toMatchObject({
      dia: 6,
      timezone: 'Europe/Amsterdam',
      start_date: '1970-01-01T00:00:00.000Z',
      basal: [
        { time: '00:00', timeAsSeconds: 0, value: 1.8 },
        { time: '06:00', timeAsSeconds: 21600, value: 2.1 },
      ],
    });
  });

  it('keeps the columns when a profile is renamed: only the key value changes', () => {
    const renamed = structuredClone(profile);
    const store = renamed.store as Record<string, unknown>;
    store.Weekend = store.Sport;
    delete store.Sport;
    const { rows } = compileExplodeMap(options, profileStore)(renamed, 0);
    expect(rows.map((row) => row.profile_name)).toEqual(['Default', 'Weekend']);
    expect(Object.keys(rows[1] ?? {})).toEqual(profileStore.columns.map((column) => column.name));
  });

  it('keeps map keys as written (not normalised) and puts scalar values in the value column', () => {
    const model = defineModel('m', [
      ['customer_id', 'bigint', { key: true }],
      ['attribute_name', 'text', { key: true }],
      ['value', 'text'],
      ['attribute_id', 'text'],
    ]);
    const process = compileExplodeMap(
      { name: 'explode_map', path: 'attributes', key_column: 'attribute_name', parent_key: [{ column: 'customer_id', path: 'id' }], id_column: 'attribute_id' },
      model,
    );
    const { rows } = process({ id: 7, attributes: { 'Favourite Colour': 'blue', shoeSize: 42 } }, 0);
    expect(rows.map(({ attribute_id: _id, ...row }) => row)).toEqual([
      { customer_id: 7, attribute_name: 'Favourite Colour', value: 'blue' },
      { customer_id: 7, attribute_name: 'shoeSize', value: 42 },
    ]);
    expect(rows[0]?.attribute_id).not.toBe(rows[1]?.attribute_id);
  });

  it('reports a store that is not an object', () => {
    expect(compileExplodeMap(options, profileStore)({ _id: 'p', store: ['Default'] }, 2).issues).toEqual([
      { position: 2, path: 'store', reason: 'expected an object with one entry per key, found a list' },
    ]);
  });

  it('gives no rows for a missing store', () => {
    expect(compileExplodeMap(options, profileStore)({ _id: 'p' }, 0).rows).toEqual([]);
  });

  it('reports profile fields the model does not read', () => {
    const { unmapped } = compileExplodeMap(options, profileStore)({ _id: 'p', store: { A: { dia: 6, sens: [{ value: 40 }] } } }, 0);
    expect(unmapped).toEqual(['sens']);
  });
});
