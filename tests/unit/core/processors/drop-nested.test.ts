import { describe, expect, it } from 'vitest';
import { compileDropNested } from '../../../../shared/core/processors/drop-nested.ts';
import { defineModel } from '../fixtures/models.ts';
import { profile } from '../fixtures/sources.ts';

const nightscoutProfile = defineModel('nightscout_profile', [
  ['id', 'text', { key: true, source: '_id' }],
  ['default_profile', 'text', { source: 'defaultProfile' }],
  ['start_date', 'timestamptz'],
  ['mills', 'bigint'],
  ['units', 'text'],
  ['created_at', 'timestamptz'],
]);

describe('drop_nested', () => {
  it('keeps the top-level values of a profile and leaves its store out', () => {
    expect(compileDropNested({ name: 'drop_nested' }, nightscoutProfile)(profile, 0)).toEqual({
      rows: [
        {
          id: '65f8745c1a2b3c4d5e6f70a0',
          default_profile: 'Default',
          start_date: '2026-03-01T00:00:00.000Z',
          mills: 1772323200000,
          units: 'mg/dl',
          created_at: '2026-03-01T00:00:00.000Z',
        },
      ],
      unmapped: [],
      issues: [],
    });
  });

  it('reports a new top-level field but not the nested values it drops by design', () => {
    const { unmapped } = compileDropNested({ name: 'drop_nested' }, nightscoutProfile)({ ...profile, enteredBy: 'Loop' }, 0);
    expect(unmapped).toEqual(['entered_by']);
  });

  it('keeps a nested value whole when a jsonb column names it', () => {
    const model = defineModel('m', [
      ['id', 'text', { key: true, source: '_id' }],
      ['store', 'jsonb'],
    ]);
    const [row] = compileDropNested({ name: 'drop_nested' }, model)(profile, 0).rows;
    expect(Object.keys(row?.store as object)).toEqual(['Default', 'Sport']);
  });

  it('does not reach into nested objects by flattened name, only through an exact $. path', () => {
    const model = defineModel('m', [
      ['battery_by_name', 'integer', { source: 'uploader_battery' }],
      ['battery_by_path', 'integer', { source: '$.uploader.battery' }],
    ]);
    const record = { uploader: { battery: 80 } };
    expect(compileDropNested({ name: 'drop_nested' }, model)(record, 0).rows).toEqual([
      { battery_by_name: null, battery_by_path: 80 },
    ]);
  });
});
