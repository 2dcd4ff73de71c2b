import { describe, expect, it } from 'vitest';
import { coerceRow } from '../../../shared/core/coerce.ts';
import { countDuplicateKeys, createCheckAccumulator } from '../../../shared/core/dq-accumulator.ts';
import { hasFailedChecks, type BatchSummary, type CheckConfig, type CheckResult } from '../../../shared/core/dq-checks.ts';
import { ConfigurationError } from '../../../shared/errors.ts';
import { defineModel } from './fixtures/models.ts';

const payment = defineModel('bunq_payment', [
  ['id', 'bigint', { key: true }],
  ['amount_value', 'numeric'],
  ['amount_currency', 'text'],
  ['description', 'text'],
]);

function check(results: CheckResult[], name: CheckResult['check'], column?: string): CheckResult | undefined {
  return results.find((found) => found.check === name && found.column === column);
}

describe('createCheckAccumulator', () => {
  const config: CheckConfig = {
    model: payment,
    load_type: 'delta',
    previous_row_count: null,
    quality: {
      not_null: ['amount_value'],
      accepted_values: [{ column: 'amount_currency', values: ['EUR'] }],
      regex: [{ column: 'amount_value', pattern: '^-?[0-9]+\\.[0-9]{2}$' }],
    },
  };

  function run(rows: unknown[][], unmapped: string[][] = []): CheckResult[] {
    const checks = createCheckAccumulator(config);
    rows.forEach((values, i) => {
      checks.add(values as never);
      checks.addUnmapped(unmapped[i] ?? []);
    });
    return checks.results();
  }

  it('passes a clean batch', () => {
    const results = run([
      [1, '-12.50', 'EUR', 'Order 77'],
      [2, '1520.33', 'EUR', null],
    ]);
    expect(results.every((found) => found.passed)).toBe(true);
    expect(hasFailedChecks(results)).toBe(false);
  });

  it('finds duplicate business keys and shows examples', () => {
    const results = run([
      [1, '1.00', 'EUR', null],
      [1, '2.00', 'EUR', null],
      [1, '3.00', 'EUR', null],
      [2, '4.00', 'EUR', null],
    ]);
    expect(check(results, 'key_unique')).toMatchObject({ observed: 2, passed: false, details: { key: ['id'], samples: [[1]] } });
    expect(hasFailedChecks(results)).toBe(true);
  });

  it('counts null keys apart from duplicates', () => {
    const results = run([
      [null, '1.00', 'EUR', null],
      [null, '1.00', 'EUR', null],
    ]);
    expect(check(results, 'key_not_null')?.observed).toBe(2);
    expect(check(results, 'key_unique')?.observed).toBe(0);
  });

  it('counts nulls, unaccepted values and pattern mismatches per column, with samples', () => {
    const results = run([
      [1, null, 'USD', null],
      [2, '12,50', 'GBP', null],
      [3, '5.00', 'USD', null],
    ]);
    expect(check(results, 'not_null', 'amount_value')).toMatchObject({ observed: 1, passed: false });
    expect(check(results, 'accepted_values', 'amount_currency')).toMatchObject({
      observed: 3,
      details: { accepted: ['EUR'], samples: ['USD', 'GBP'] },
    });
    expect(check(results, 'regex', 'amount_value')).toMatchObject({ observed: 1, details: { samples: ['12,50'] } });
  });

  it('compares accepted values as text, so a number in metadata matches a numeric column', () => {
    const checks = createCheckAccumulator({ ...config, quality: { accepted_values: [{ column: 'amount_value', values: [5] }] } });
    checks.add([1, '5', 'EUR', null]);
    expect(check(checks.results(), 'accepted_values', 'amount_value')?.passed).toBe(true);
  });

  it('counts unmapped fields per record across the batch', () => {
    const results = run(
      [
        [1, '1.00', 'EUR', null],
        [2, '1.00', 'EUR', null],
      ],
      [['geolocation_latitude', 'allow_chat'], ['geolocation_latitude']],
    );
    expect(check(results, 'column_count')?.details).toEqual({ unmapped_fields: { allow_chat: 1, geolocation_latitude: 2 } });
  });

  it('counts coercion issues and keeps a few as text', () => {
    const checks = createCheckAccumulator(config);
    const { values, issues } = coerceRow({ id: 1, amount_value: '12,50' }, payment, { entity: 'bunq_payment', position: 17 });
    checks.add(values);
    checks.addCoercionIssues(issues);
    expect(check(checks.results(), 'values_coercible')).toMatchObject({
      observed: 1,
      passed: false,
      details: { samples: ['entity bunq_payment, record 17, amount_value: cannot coerce "12,50" to numeric'] },
    });
  });

  it('keeps at most five samples however many values fail', () => {
    const checks = createCheckAccumulator(config);
    for (let id = 0; id < 100; id += 1) checks.add([id, '1.00', `C${id}`, null]);
    const found = check(checks.results(), 'accepted_values', 'amount_currency');
    expect(found?.observed).toBe(100);
    expect(found?.details?.samples).toHaveLength(5);
  });

  it('summarises the batch for storage', () => {
    const checks = createCheckAccumulator(config);
    checks.add([1, '1.00', 'EUR', null]);
    checks.addUnmapped(['x']);
    expect(checks.summary()).toEqual<BatchSummary>({
      row_count: 1,
      null_keys: 0,
      duplicate_keys: { count: 0, samples: [] },
      unmapped_fields: { x: 1 },
      null_counts: { amount_value: 0 },
      unaccepted: { amount_currency: { count: 0, samples: [] } },
      regex_mismatches: { amount_value: { count: 0, samples: [] } },
      uncoercible: { count: 0, samples: [] },
    });
  });

  it('lists the model columns no row had a value for when the column count includes missing ones', () => {
    const checks = createCheckAccumulator({ ...config, quality: { column_count: { include_missing: true } } });
    checks.add([1, '1.00', null, null]);
    checks.add([2, null, 'EUR', null]);
    expect(checks.summary().empty_columns).toEqual(['description']);
    expect(check(checks.results(), 'column_count')).toMatchObject({ passed: false, details: { missing_columns: ['description'] } });
  });

  it('does not track empty columns unless asked', () => {
    const checks = createCheckAccumulator(config);
    checks.add([1, '1.00', null, null]);
    expect(checks.summary()).not.toHaveProperty('empty_columns');
  });

  it('treats a list in a one-column key as one value', () => {
    const model = defineModel('m', [['tags', 'jsonb', { key: true }]]);
    const checks = createCheckAccumulator({ model, load_type: 'delta', previous_row_count: null });
    checks.add([['a', 'b']]);
    checks.add([['a', 'b']]);
    checks.add([['a']]);
    expect(check(checks.results(), 'key_unique')).toMatchObject({ observed: 1, details: { samples: [[['a', 'b']]] } });
  });

  it('refuses a check on a column the model does not have', () => {
    expect(() => createCheckAccumulator({ ...config, quality: { not_null: ['amount'] } })).toThrow(ConfigurationError);
  });

  it('streams a large batch keeping only keys and counters', () => {
    const checks = createCheckAccumulator(config);
    for (let id = 0; id < 200_000; id += 1) checks.add([id, '1.00', 'EUR', null]);
    checks.add([42, '1.00', 'EUR', null]);
    expect(check(checks.results(), 'key_unique')).toMatchObject({ observed: 1, details: { samples: [[42]] } });
  });
});

describe('createCheckAccumulator with a bound on the keys it holds', () => {
  const config: CheckConfig = { model: payment, load_type: 'delta', previous_row_count: null, quality: {} };

  it('checks in memory up to the bound', () => {
    const checks = createCheckAccumulator(config, { maxTrackedKeys: 3 });
    for (const id of [1, 2, 3, 3]) checks.add([id, '1.00', 'EUR', null]);
    expect(checks.needsTableDuplicateCount()).toBe(false);
    expect(check(checks.results(), 'key_unique')).toMatchObject({ observed: 1, details: { samples: [[3]] } });
  });

  it('past the bound, judges by fingerprints alone when none repeats: the duplicates found before are all there are', () => {
    const checks = createCheckAccumulator(config, { maxTrackedKeys: 3 });
    for (const id of [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) checks.add([id, '1.00', 'EUR', null]);
    expect(checks.needsTableDuplicateCount()).toBe(false);
    expect(check(checks.results(), 'key_unique')).toMatchObject({ observed: 1, passed: false, details: { samples: [[1]] } });
    const distinct = createCheckAccumulator(config, { maxTrackedKeys: 3 });
    for (let id = 0; id < 1000; id += 1) distinct.add([id, '1.00', 'EUR', null]);
    expect(distinct.needsTableDuplicateCount()).toBe(false);
    expect(check(distinct.results(), 'key_unique')).toMatchObject({ observed: 0, passed: true });
  });

  it('wants the duplicates counted in the table when a key seen before the bound comes again past it', () => {
    const checks = createCheckAccumulator(config, { maxTrackedKeys: 3 });
    for (const id of [1, 2, 3, 4, 5, 2]) checks.add([id, '1.00', 'EUR', null]);
    expect(checks.needsTableDuplicateCount()).toBe(true);
    expect(() => checks.results()).toThrow('setDuplicateKeys');
  });

  it('drops the keys past the bound and wants the duplicates counted elsewhere before judging', () => {
    const checks = createCheckAccumulator(config, { maxTrackedKeys: 3 });
    for (const id of [1, 1, 2, 3, 4, 4, null]) checks.add([id, '1.00', 'EUR', null]);
    expect(checks.needsTableDuplicateCount()).toBe(true);
    expect(() => checks.results()).toThrow('setDuplicateKeys');
    checks.setDuplicateKeys({ count: 2, samples: [[1], [4]] });
    const results = checks.results();
    expect(check(results, 'key_unique')).toMatchObject({ observed: 2, passed: false, details: { samples: [[1], [4]] } });
    expect(check(results, 'key_not_null')).toMatchObject({ observed: 1 });
  });
});

describe('createCheckAccumulator with a composite key', () => {
  const line = defineModel('order_line', [
    ['order_id', 'text', { key: true }],
    ['line', 'text', { key: true }],
    ['quantity', 'integer'],
  ]);
  const uniqueness = (rows: unknown[][]): CheckResult | undefined => {
    const checks = createCheckAccumulator({ model: line, load_type: 'delta', previous_row_count: null, quality: {} });
    for (const values of rows) checks.add(values as never);
    return check(checks.results(), 'key_unique');
  };

  it('counts repeated tuples, shows them as tuples, and leaves tuples with a null to the null-key count', () => {
    const found = uniqueness([
      ['o1', 'a', 1],
      ['o1', 'b', 1],
      ['o1', 'a', 2],
      ['o1', null, 1],
      ['o1', null, 1],
    ]);
    expect(found).toMatchObject({ observed: 1, passed: false, details: { samples: [['o1', 'a']] } });
  });

  it('past the bound, finds a tuple seen before it again, a NUL in a part or not', () => {
    const pastBound = (rows: unknown[][]) => {
      const checks = createCheckAccumulator({ model: line, load_type: 'delta', previous_row_count: null, quality: {} }, { maxTrackedKeys: 2 });
      for (const values of rows) checks.add(values as never);
      return checks.needsTableDuplicateCount();
    };
    const before = [['o1', 'a', 1], ['o\u00002', 'b', 1], ['o3', 'c', 1], ['o4', 'd', 1]];
    expect(pastBound(before)).toBe(false);
    expect(pastBound([...before, ['o1', 'a', 2]])).toBe(true);
    expect(pastBound([...before, ['o\u00002', 'b', 2]])).toBe(true);
    expect(pastBound([...before, ['o', '\u00002b', 2], ['o1a', '', 2]])).toBe(false);
  });

  it('tells apart tuples whose parts would join to the same text', () => {
    expect(uniqueness([['a\u0000b', 'c', 1], ['a', 'b\u0000c', 1], ['a\u0000', 'b', 1], ['a', '\u0000b', 1]])).toMatchObject({ observed: 0, passed: true });
    expect(uniqueness([['a\u0000b', 'c', 1], ['a\u0000b', 'c', 2]])).toMatchObject({ observed: 1 });
  });
});

describe('countDuplicateKeys', () => {
  it('counts extra occurrences of composite key tuples and skips tuples with a null', () => {
    const keys = [
      ['p1', 0],
      ['p1', 1],
      ['p1', 0],
      ['p1', null],
      ['p1', null],
    ];
    expect(countDuplicateKeys(keys)).toEqual({ count: 1, samples: [['p1', 0]] });
  });

  it('tells a number key from the same digits in another tuple position', () => {
    expect(countDuplicateKeys([['1', 2], [1, '2']]).count).toBe(0);
  });
});
