import { describe, expect, it } from 'vitest';
import type { ColumnSpec, EntityModel } from '../../../shared/core/entity-model.ts';
import { changedExpression, planScd } from '../../../shared/core/scd-plan.ts';
import { InvalidPayloadError } from '../../../shared/errors.ts';

const col = (name: string, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, type: 'text', key: false, scd: 2, nullable: true, ...extra });

const customer: EntityModel = {
  name: 'customer',
  key: ['id'],
  columns: [col('id', { key: true, nullable: false }), col('name'), col('email', { scd: 1 }), col('tier'), col('updated_at', { type: 'timestamptz', scd: 1 })],
};

function issuesOf(model: EntityModel, latestBy?: string, tombstone?: string): readonly string[] {
  try {
    planScd(model, { ...(latestBy === undefined ? {} : { latestBy }), ...(tombstone === undefined ? {} : { tombstone: { column: tombstone, equals: false } }) });
  } catch (error) {
    if (error instanceof InvalidPayloadError) return error.issues;
    throw error;
  }
  throw new Error('expected planScd to refuse the model');
}

describe('planScd', () => {
  it('splits non-key columns into SCD2 (the default) and SCD1, in model order', () => {
    const plan = planScd(customer);
    expect(plan.key).toEqual(['id']);
    expect(plan.scd2.map((c) => c.name)).toEqual(['name', 'tier']);
    expect(plan.scd1.map((c) => c.name)).toEqual(['email', 'updated_at']);
    expect(plan.columns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'tier', 'updated_at']);
  });

  it('never hashes key columns, whatever their SCD type says', () => {
    const plan = planScd({ ...customer, columns: [col('id', { key: true, nullable: false, scd: 1 }), col('name')] });
    expect([...plan.scd1, ...plan.scd2].map((c) => c.name)).toEqual(['name']);
  });

  it('signs the hash inputs: a changed SCD type, type or column changes the signature; a key-only change does not', () => {
    const base = planScd(customer).signature;
    expect(base).toBe('v1;scd2=name:text,tier:text;scd1=email:text,updated_at:timestamptz');
    const scdMoved = planScd({ ...customer, columns: customer.columns.map((c) => (c.name === 'tier' ? { ...c, scd: 1 as const } : c)) });
    expect(scdMoved.signature).not.toBe(base);
    const added = planScd({ ...customer, columns: [...customer.columns, col('city')] });
    expect(added.signature).not.toBe(base);
  });

  it('keeps latestBy when it names a model column', () => {
    expect(planScd(customer, { latestBy: 'updated_at' }).latestBy).toBe('updated_at');
  });

  it('keeps a tombstone rule with the type of its column, for the SQL comparison', () => {
    const model = { ...customer, columns: [...customer.columns, col('is_valid', { type: 'boolean', scd: 1 })] };
    expect(planScd(model, { tombstone: { column: 'is_valid', equals: false } }).tombstone).toEqual({ column: 'is_valid', equals: false, type: 'boolean' });
  });

  it.each([
    ['an unknown tombstone column', customer, undefined, 'nope', 'models › customer: tombstone column nope is not a column of the model'],
    ['a tombstone told by a key column', customer, undefined, 'id', 'models › customer: tombstone column id is a key column'],
  ])('refuses %s', (_case, model, latestBy, tombstone, issue) => {
    expect(issuesOf(model, latestBy, tombstone)).toContain(issue);
  });

  it.each([
    ['no key', { ...customer, key: [] }, undefined, 'models › customer: the model has no key column; silver needs a business key'],
    ['a key that is not a column', { ...customer, key: ['nope'] }, undefined, 'models › customer: key column nope is not a column of the model'],
    ['a nullable key', { ...customer, key: ['name'] }, undefined, 'models › customer: key column name is nullable; key columns are never null'],
    ['a reserved name', { ...customer, columns: [...customer.columns, col('_dp_valid_from')] }, undefined, 'models › customer: column _dp_valid_from: names starting with _dp_ are reserved for system columns'],
    ['a column declared twice', { ...customer, columns: [...customer.columns, col('name')] }, undefined, 'models › customer: column name is declared twice'],
    ['an unknown latestBy', customer, 'nope', 'models › customer: latest_by column nope is not a column of the model'],
  ])('refuses %s', (_case, model, latestBy, issue) => {
    expect(issuesOf(model, latestBy)).toContain(issue);
  });
});

describe('changedExpression', () => {
  it('compares each column null-safely with is distinct from', () => {
    expect(changedExpression([col('a'), col('b')], (n) => `existing."${n}"`, (n) => `incoming."${n}"`)).toBe(
      '(existing."a" is distinct from incoming."a" or existing."b" is distinct from incoming."b")',
    );
  });

  it('is false for no columns (nothing can change)', () => {
    expect(changedExpression([], (n) => n, (n) => n)).toBe('false');
  });
});
