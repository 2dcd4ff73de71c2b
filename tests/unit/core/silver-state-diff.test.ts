import { describe, expect, it } from 'vitest';
import type { EntityModel } from '../../../shared/core/entity-model.ts';
import { comparableStateRow, diffSilverState, type StateRow } from '../../../shared/core/silver-state-diff.ts';

const model: EntityModel = {
  name: 'test_customer_order',
  key: ['customer_id', 'order_id'],
  columns: [
    { name: 'customer_id', type: 'text', key: true, scd: 2, nullable: false },
    { name: 'order_id', type: 'text', key: true, scd: 2, nullable: false },
    { name: 'total', type: 'numeric', key: false, scd: 2, nullable: true },
    { name: 'ordered_at', type: 'timestamptz', key: false, scd: 2, nullable: true },
    { name: 'units', type: 'bigint', key: false, scd: 1, nullable: true },
  ],
};

const version = (overrides: Record<string, unknown> = {}): StateRow => ({
  customer_id: 'C0001',
  order_id: 'O-1',
  total: '12.50',
  ordered_at: '2026-01-05T00:10:00.000Z',
  units: 3,
  _dp_valid_from: 'batch-0001',
  _dp_valid_to: null,
  _dp_is_current: true,
  _dp_is_deleted: false,
  ...overrides,
});

describe('comparableStateRow', () => {
  it.each([
    // numerics by value: trailing zeros go
    ['total', '12.500', '12.5'],
    ['total', '-0.00', '0'],
    // timestamps as ISO instants, whatever their form
    ['ordered_at', new Date('2026-01-05T01:10:00+01:00'), '2026-01-05T00:10:00.000Z'],
    ['ordered_at', '2026-01-05 00:10:00+00', '2026-01-05T00:10:00.000Z'],
    // bigints as text (pg reads them as strings, JSON writes numbers)
    ['units', 3, '3'],
    // null stays null
    ['total', null, null],
  ])('makes %s %j comparable as %j', (column, value, comparable) => {
    expect(comparableStateRow(model, version({ [column]: value }))[column]).toEqual(comparable);
  });
});

describe('diffSilverState', () => {
  it('finds nothing when the rows hold the same values in another form and order', () => {
    const expected = [version(), version({ order_id: 'O-2', total: '3' })];
    const actual = [version({ order_id: 'O-2', total: '3.00', units: '3' }), version({ total: '12.5', ordered_at: new Date('2026-01-05T00:10:00Z') })];
    expect(diffSilverState(model, actual, expected)).toEqual([]);
  });

  it('names the key, the version and the column of a value that differs', () => {
    const differences = diffSilverState(model, [version({ total: '12.51' })], [version()]);
    expect(differences).toEqual([
      { key: 'customer_id=C0001, order_id=O-1', version: 'batch-0001', column: 'total', actual: '12.51', expected: '12.5', message: 'customer_id=C0001, order_id=O-1, version from batch-0001: total is "12.51", expected "12.5"' },
    ]);
  });

  it.each([
    ['a missing version', [version()], [version(), version({ _dp_valid_from: 'batch-0003' })], ['customer_id=C0001, order_id=O-1, version from batch-0003: missing']],
    ['an unexpected version', [version(), version({ order_id: 'O-9' })], [version()], ['customer_id=C0001, order_id=O-9, version from batch-0001: not expected']],
    ['a version there twice', [version(), version()], [version()], ['customer_id=C0001, order_id=O-1, version from batch-0001: there 2 times, expected once']],
    ['a flag', [version({ _dp_is_deleted: true })], [version()], ['customer_id=C0001, order_id=O-1, version from batch-0001: _dp_is_deleted is true, expected false']],
    ['a validity', [version({ _dp_valid_to: 'unknown batch 2026-01-07T00:00:00.000Z' })], [version({ _dp_valid_to: 'batch-0003' })], ['customer_id=C0001, order_id=O-1, version from batch-0001: _dp_valid_to is "unknown batch 2026-01-07T00:00:00.000Z", expected "batch-0003"']],
  ])('reports %s', (_case, actual, expected, messages) => {
    expect(diffSilverState(model, actual, expected).map((difference) => difference.message)).toEqual(messages);
  });

  it('lists differences in key order', () => {
    const differences = diffSilverState(model, [version({ order_id: 'O-2' }), version({ customer_id: 'C0000' })], []);
    expect(differences.map((difference) => difference.key)).toEqual(['customer_id=C0000, order_id=O-1', 'customer_id=C0001, order_id=O-2']);
  });
});
