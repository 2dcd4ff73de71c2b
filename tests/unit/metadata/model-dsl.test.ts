import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { models } from '../../../metadata/models/index.ts';
import { column, columnRegistry, describeModel } from '../../../shared/metadata/model-dsl.ts';

describe('describeModel', () => {
  const Example = z.strictObject({
    account_id: column.bigint({ key: true }),
    id: column.text({ key: true, source: '_id' }),
    balance: column.numeric({ scd: 1, description: 'Overwritten.' }),
    status: column.text(),
    opened_on: column.date({ nullable: false }),
  });

  it('reads columns, key and SCD types from the zod model, in shape order', () => {
    expect(describeModel('example', Example)).toEqual({
      name: 'example',
      key: ['account_id', 'id'],
      columns: [
        { name: 'account_id', type: 'bigint', key: true, scd: 2, nullable: false },
        { name: 'id', type: 'text', key: true, scd: 2, nullable: false, source: '_id' },
        { name: 'balance', type: 'numeric', key: false, scd: 1, nullable: true, description: 'Overwritten.' },
        { name: 'status', type: 'text', key: false, scd: 2, nullable: true },
        { name: 'opened_on', type: 'date', key: false, scd: 2, nullable: false },
      ],
    });
  });

  it('keeps the metadata on the zod schema itself (a registry, not a side table)', () => {
    expect(columnRegistry.get(Example.shape.balance)).toMatchObject({ type: 'numeric', scd: 1 });
  });

  it('keeps the zod model usable as a row schema', () => {
    const row = { account_id: '17', id: 'a', balance: null, status: 'ACTIVE', opened_on: '2026-03-01' };
    expect(Example.parse(row)).toEqual(row);
    expect(Example.safeParse({ ...row, id: null }).success).toBe(false);
  });

  it('refuses a key column declared nullable', () => {
    expect(() => column.text({ key: true, nullable: true })).toThrow('a key column cannot be nullable');
  });

  it('refuses an empty source list', () => {
    expect(() => column.text({ source: [] })).toThrow('a source list names at least one field');
  });

  it('names a field that was not built with column.*', () => {
    expect(() => describeModel('broken', z.strictObject({ id: column.text({ key: true }), raw: z.string() }))).toThrow(
      expect.objectContaining({ issues: ['models › broken › raw: not a model column; build it with column.text(), column.numeric(), …'] }),
    );
  });

  it.each(Object.entries(models))('describes the project model %s with a business key', (name, schema) => {
    const model = describeModel(name, schema);
    expect(model.key.length).toBeGreaterThan(0);
    expect(model.columns.filter((spec) => spec.key).every((spec) => !spec.nullable)).toBe(true);
  });
});
